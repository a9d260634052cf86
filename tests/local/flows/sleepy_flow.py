"""Sleeps in a middle step (for Ctrl-C tests) and optionally prints a marker first."""
import time

from sfncompile import FlowSpec, Parameter, step


class SleepyFlow(FlowSpec):
    seconds = Parameter("seconds", default=30.0)
    tag_value = Parameter("tag_value", default="a")

    @step
    def start(self):
        self.value = self.tag_value
        self.next(self.sleep)

    @step
    def sleep(self):
        print("sleeping now", flush=True)
        time.sleep(self.seconds)
        self.slept = self.seconds
        self.next(self.end)

    @step
    def end(self):
        self.final = f"{self.value}:{self.slept}"


if __name__ == "__main__":
    SleepyFlow()
