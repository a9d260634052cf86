"""A switch: the step records a choice and exactly one case runs."""
from sfncompile import FlowSpec, Parameter, step


class SwitchFlow(FlowSpec):
    size = Parameter("size", default=3, help="dataset size; above 10 takes the big path")

    @step
    def start(self):
        self.path = "big" if self.size > 10 else "small"
        self.next({"big": self.big, "small": self.small}, condition="path")

    @step
    def big(self):
        self.method = "distributed"
        self.next(self.end)

    @step
    def small(self):
        self.method = "in-memory"
        self.next(self.end)

    @step
    def end(self):
        print("used", self.method)


if __name__ == "__main__":
    SwitchFlow()
