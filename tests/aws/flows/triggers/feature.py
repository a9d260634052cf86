"""Upstream of train.py: its success starts TrainFlow."""
from sfncompile import FlowSpec, project, step


@project(name="churn")
class FeatureFlow(FlowSpec):
    @step
    def start(self):
        self.features = [1, 2, 3]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    FeatureFlow()
