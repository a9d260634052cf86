"""A foreach whose items wait for a release file, so a test can watch the run page progress."""
import os
import time

from sfncompile import FlowSpec, Parameter, step


class UiSlowFlow(FlowSpec):
    gate = Parameter("gate", default="", help="directory: item i runs once the file <gate>/<i> exists")

    @step
    def start(self):
        self.items = list(range(4))
        self.next(self.work, foreach="items")

    @step
    def work(self):
        path = os.path.join(self.gate, str(self.input))
        deadline = time.time() + 120
        while not os.path.exists(path) and time.time() < deadline:
            time.sleep(0.05)
        self.done = self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = len(list(inputs))
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    UiSlowFlow()
