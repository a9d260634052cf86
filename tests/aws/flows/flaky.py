"""A step that fails on its first attempt and succeeds on the second (@retry fixes it)."""
from sfncompile import FlowSpec, current, retry, step


class FlakyFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.shaky)

    @retry(times=2, minutes_between_retries=0.05)
    @step
    def shaky(self):
        if current.retry_count == 0:
            raise RuntimeError("transient failure")
        self.attempt_that_worked = current.retry_count
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    FlakyFlow()
