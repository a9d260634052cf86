"""A parameter whose command-line name has a dash (its attribute uses an underscore)."""
from metaflow import FlowSpec, Parameter, step


class DashedParameterFlow(FlowSpec):
    test_size = Parameter("test-size", help="share held out", default=0.2)
    label = Parameter("label", default="x")

    @step
    def start(self):
        self.held_out = int(round(100 * self.test_size))
        self.next(self.end)

    @step
    def end(self):
        self.described = "%s:%d" % (self.label, self.held_out)


if __name__ == "__main__":
    DashedParameterFlow()
