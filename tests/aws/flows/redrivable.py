"""A middle step that fails until a marker file exists: redriving the failed run re-runs only it.

Every step appends its name to the ``counter`` file when its code runs, so a test can
prove which steps' user code ran, and how many times, across the original execution
and its redrive. (Batch jobs run on this machine in the emulated AWS.)
"""
import os

from sfncompile import FlowSpec, Parameter, step


def ran(path, name):
    with open(path, "a") as out:
        out.write(name + "\n")


class RedrivableFlow(FlowSpec):
    counter = Parameter("counter", required=True, help="file each step appends its name to")
    marker = Parameter("marker", required=True, help="step 'fragile' fails while this file does not exist")

    @step
    def start(self):
        ran(self.counter, "start")
        self.base = 20
        self.next(self.prepare)

    @step
    def prepare(self):
        ran(self.counter, "prepare")
        self.doubled = self.base * 2
        self.next(self.fragile)

    @step
    def fragile(self):
        ran(self.counter, "fragile")
        if not os.path.exists(self.marker):
            raise RuntimeError(f"marker {self.marker} does not exist yet")
        self.answer = self.doubled + 2
        self.next(self.end)

    @step
    def end(self):
        ran(self.counter, "end")
        self.result = f"answer={self.answer}"


if __name__ == "__main__":
    RedrivableFlow()
