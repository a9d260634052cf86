"""A step that always fails: the execution fails and the run records the failing step."""
from sfncompile import FlowSpec, step


class FailingFlow(FlowSpec):
    @step
    def start(self):
        self.x = 1
        self.next(self.explode)

    @step
    def explode(self):
        print("about to fail")
        raise KeyError("missing column 'price'")
        self.next(self.end)  # noqa: unreachable

    @step
    def end(self):
        pass


if __name__ == "__main__":
    FailingFlow()
