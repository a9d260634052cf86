"""start -> end. `start` stores an artifact bigger than the spool limit once encoded (random bytes do not
compress, so it is staged in a file), and
pickling its last part waits while the file named by $RELIABILITY_GATE exists: a kill then leaves the
half-written staging file behind."""
import os
import time

from sfncompile import FlowSpec, step


class Gate:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        if os.path.exists(self.path):
            open(self.path + ".reached", "w").close()
            while os.path.exists(self.path):
                time.sleep(0.05)
        return (Gate, (self.path,))


class SpoolFlow(FlowSpec):
    @step
    def start(self):
        self.head = "kept"
        self.big = [os.urandom(9 * 2**20), Gate(os.environ["RELIABILITY_GATE"])]
        self.next(self.end)

    @step
    def end(self):
        self.size = len(self.big[0])


if __name__ == "__main__":
    SpoolFlow()
