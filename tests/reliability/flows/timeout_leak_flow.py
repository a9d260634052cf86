"""start -> slow -> end; `slow` starts a `sleep` (pid in "<gate>.pids") and, while the file named by
$RELIABILITY_GATE exists, runs past its @timeout."""
import os
import subprocess
import time

from sfncompile import FlowSpec, step, timeout


class TimeoutLeakFlow(FlowSpec):
    @step
    def start(self):
        self.value = 7
        self.next(self.slow)

    @timeout(seconds=1)
    @step
    def slow(self):
        gate = os.environ["RELIABILITY_GATE"]
        child = subprocess.Popen(["sleep", "300"])
        with open(gate + ".pids", "a") as fh:
            fh.write(f"{child.pid}\n")
        if os.path.exists(gate):
            # time.sleep in a loop of short C calls; the in-task alarm fires first, then the group is killed
            for _ in range(600):
                time.sleep(0.05)
        self.next(self.end)

    @step
    def end(self):
        self.result = self.value + 1


if __name__ == "__main__":
    TimeoutLeakFlow()
