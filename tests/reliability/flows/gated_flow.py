"""start -> hold -> end. While the file named by $RELIABILITY_GATE exists, `hold` waits (so a test can
signal or kill the run in the middle of a step); it always leaves a `sleep` subprocess behind, whose
pid it appends to "<gate>.pids", to show that a step's subprocesses never outlive it."""
import os
import subprocess
import time

from sfncompile import FlowSpec, step


class GatedFlow(FlowSpec):
    @step
    def start(self):
        self.data = list(range(10))
        self.next(self.hold)

    @step
    def hold(self):
        gate = os.environ["RELIABILITY_GATE"]
        child = subprocess.Popen(["sleep", "300"])
        with open(gate + ".pids", "a") as fh:
            fh.write(f"{child.pid}\n")
        if os.path.exists(gate):
            open(gate + ".reached", "w").close()
            while os.path.exists(gate):
                time.sleep(0.05)
        self.total = sum(self.data)
        self.next(self.end)

    @step
    def end(self):
        self.result = self.total * 2


if __name__ == "__main__":
    GatedFlow()
