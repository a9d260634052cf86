"""Benchmark: a 200 MB artifact written by start and read back by the next step."""
import os

from sfncompile import FlowSpec, Parameter, step


class BigArtifactFlow(FlowSpec):
    mb = Parameter("mb", default=200)

    @step
    def start(self):
        # random-ish: incompressible bytes without spending seconds in os.urandom
        chunk = os.urandom(1 << 20)
        self.blob = chunk * self.mb
        self.next(self.measure)

    @step
    def measure(self):
        self.length = len(self.blob)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    BigArtifactFlow()
