"""Parameters as Metaflow flows declare them: dashed names, free command-line names, separator, env defaults."""
from sfncompile import FlowSpec, Parameter, step


class ParametersFlow(FlowSpec):
    size = Parameter("test-size", default=0.2)
    who = Parameter("name", default="world")
    items = Parameter("items", default="a,b,c", separator=",")
    from_env = Parameter("from-env", type=int, required=True)

    @step
    def start(self):
        self.seen = {"size": self.size, "who": self.who, "items": self.items, "from_env": self.from_env}
        try:
            self.size = 5
            self.read_only = False
        except AttributeError:
            self.read_only = True
        self.next(self.a, self.b)

    @step
    def a(self):
        self.x = "a"
        self.next(self.join)

    @step
    def b(self):
        self.x = "b"
        self.next(self.join)

    @step
    def join(self, inputs):
        try:
            self.x
        except AttributeError as exc:
            self.message = str(exc)
        self.merge_artifacts(inputs, exclude=["x"])
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ParametersFlow()
