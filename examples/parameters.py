"""Typed parameters, a JSON parameter, a required one, and an included file."""
from sfncompile import FlowSpec, IncludeFile, JSONType, Parameter, step


class ParametersFlow(FlowSpec):
    alpha = Parameter("alpha", default=0.1, help="learning rate")
    epochs = Parameter("epochs", default=2, help="training epochs")
    verbose = Parameter("verbose", default=False, help="print more")
    grid = Parameter("grid", type=JSONType, default='{"depth": [1, 2]}', help="search grid as JSON")
    label = Parameter("label", required=True, help="a name for this run")
    notes = IncludeFile("notes", default=None, help="a text file stored with the run")

    @step
    def start(self):
        self.summary = {
            "alpha": self.alpha,
            "epochs": self.epochs,
            "verbose": self.verbose,
            "grid": self.grid,
            "label": self.label,
            "notes": self.notes,
        }
        self.next(self.end)

    @step
    def end(self):
        print(self.summary)


if __name__ == "__main__":
    ParametersFlow()
