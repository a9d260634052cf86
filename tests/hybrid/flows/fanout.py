"""A foreach; `--with batch` sends every step to AWS Batch. FAIL_ITEM makes one item fail (to resume),
SLEEP keeps the items running (to interrupt)."""
import os
import time

from sfncompile import FlowSpec, Parameter, step


class FanoutFlow(FlowSpec):
    width = Parameter("width", default=3, type=int)

    @step
    def start(self):
        self.items = list(range(self.width))
        self.next(self.square, foreach="items")

    @step
    def square(self):
        time.sleep(float(os.environ.get("FANOUT_SLEEP", "0")))
        fixed = os.path.exists(os.environ.get("FANOUT_FIXED", "/nonexistent"))
        if os.environ.get("FANOUT_FAIL_ITEM") == str(self.input) and not fixed:
            time.sleep(3)  # the other items finish first: the run stops every task still running when one fails
            raise ValueError(f"item {self.input} failed")
        self.value = self.input * self.input
        print(f"squared {self.input}")
        self.next(self.join)

    @step
    def join(self, inputs):
        self.squares = sorted(i.value for i in inputs if getattr(i, "failure", None) is None)  # --with catch:var=failure
        self.next(self.end)

    @step
    def end(self):
        self.total = sum(self.squares)
