"""JSONType parameters: a dict of settings and a list to fan out over."""
from metaflow import FlowSpec, JSONType, Parameter, step


class JsonParametersFlow(FlowSpec):
    settings = Parameter("settings", type=JSONType, default='{"depth": 2, "names": ["a", "b"]}')
    sizes = Parameter("sizes", type=JSONType, default="[1, 2, 3]")

    @step
    def start(self):
        self.depth = self.settings["depth"]
        self.names = list(self.settings["names"])
        self.next(self.scale, foreach="sizes")

    @step
    def scale(self):
        self.scaled = self.input * self.depth
        self.next(self.join)

    @step
    def join(self, inputs):
        self.scaled_all = [i.scaled for i in inputs]
        self.merge_artifacts(inputs, exclude=["scaled"])
        self.next(self.end)

    @step
    def end(self):
        self.total = sum(self.scaled_all)


if __name__ == "__main__":
    JsonParametersFlow()
