"""start -> middle -> end; `end` fails while the file named by $RELIABILITY_FAIL exists."""
import os

from sfncompile import FlowSpec, step


class FailEndFlow(FlowSpec):
    @step
    def start(self):
        self.base = 20
        self.next(self.middle)

    @step
    def middle(self):
        self.doubled = self.base * 2
        self.next(self.end)

    @step
    def end(self):
        if os.path.exists(os.environ["RELIABILITY_FAIL"]):
            raise RuntimeError("failing on purpose")
        self.result = self.doubled + 2


if __name__ == "__main__":
    FailEndFlow()
