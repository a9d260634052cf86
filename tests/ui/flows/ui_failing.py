"""A run that fails in its middle step, for the UI tests."""
from sfncompile import FlowSpec, card, step


class UiFailingFlow(FlowSpec):
    @step
    def start(self):
        self.rows = 3
        self.next(self.explode)

    @card
    @step
    def explode(self):
        self.partial = "half done"
        raise ValueError("the model diverged at epoch 7")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    UiFailingFlow()
