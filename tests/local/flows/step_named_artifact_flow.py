"""A branch step named `score` whose artifact tries to be called `score` too (set where check cannot see it)."""
from sfncompile import FlowSpec, Parameter, step


class StepNamedArtifactFlow(FlowSpec):
    mode = Parameter("mode", default="setattr")

    @step
    def start(self):
        self.next(self.score, self.other)

    @step
    def score(self):
        if self.mode == "setattr":
            setattr(self, "score", 3)  # a dynamic name: the static check cannot see it
        self.points = 3
        self.next(self.join)

    @step
    def other(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        if self.mode == "step_value":
            self.total = inputs.score.score  # the step method, not an artifact
        else:
            self.total = inputs.score.points
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    StepNamedArtifactFlow()
