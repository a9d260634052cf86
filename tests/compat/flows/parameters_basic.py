"""Typed parameters with defaults, some overridden on the command line."""
from metaflow import FlowSpec, Parameter, step


class ParametersBasicFlow(FlowSpec):
    alpha = Parameter("alpha", help="a learning rate", default=0.01)
    epochs = Parameter("epochs", help="how many passes", default=3)
    label = Parameter("label", help="a name for the run", default="baseline")
    verbose = Parameter("verbose", help="say more", default=False)
    note = Parameter("note", help="free text, no default", type=str)

    @step
    def start(self):
        self.schedule = [round(self.alpha * (0.5 ** e), 6) for e in range(self.epochs)]
        self.next(self.end)

    @step
    def end(self):
        self.summary = "%s:%d:%s:%s" % (self.label, self.epochs, self.verbose, self.note)


if __name__ == "__main__":
    ParametersBasicFlow()
