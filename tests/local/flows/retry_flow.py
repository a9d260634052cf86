"""A flaky step: fails on attempt 0, succeeds on attempt 1 (after the retry delay)."""
import time

from sfncompile import FlowSpec, current, retry, step


class RetryFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.flaky)

    @retry(times=2, minutes_between_retries=0.01)
    @step
    def flaky(self):
        self.attempt_seen = current.retry_count
        self.when = time.time()
        print(f"attempt {current.retry_count}")
        if current.retry_count == 0:
            raise RuntimeError("flaky failure on the first attempt")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    RetryFlow()
