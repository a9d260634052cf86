"""Fails on its first attempt and reads GREETING: passes only with --with retry and --with environment."""
import os

from sfncompile import FlowSpec, current, step


class WithFlow(FlowSpec):
    @step
    def start(self):
        self.greeting = os.environ.get("GREETING")
        if current.retry_count == 0:
            raise RuntimeError("the first attempt fails")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    WithFlow()
