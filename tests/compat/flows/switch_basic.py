"""A switch picks one of three steps from a parameter."""
from metaflow import FlowSpec, Parameter, step


class SwitchBasicFlow(FlowSpec):
    size = Parameter("size", help="dataset size", default=50)

    @step
    def start(self):
        if self.size < 10:
            self.route = "tiny"
        elif self.size < 100:
            self.route = "medium"
        else:
            self.route = "huge"
        self.next({"tiny": self.tiny, "medium": self.medium, "huge": self.huge}, condition="route")

    @step
    def tiny(self):
        self.method = "in memory"
        self.next(self.end)

    @step
    def medium(self):
        self.method = "chunked"
        self.next(self.end)

    @step
    def huge(self):
        self.method = "distributed"
        self.next(self.end)

    @step
    def end(self):
        self.report = "%s via %s" % (self.route, self.method)


if __name__ == "__main__":
    SwitchBasicFlow()
