"""@retry recovers a flaky step; @catch records a failure and lets the flow go on."""
from metaflow import FlowSpec, catch, current, retry, step


class CatchRetryFlow(FlowSpec):
    @step
    def start(self):
        self.attempts_seen = []
        self.next(self.flaky)

    @retry(times=2, minutes_between_retries=0)
    @step
    def flaky(self):
        if current.retry_count < 2:
            raise RuntimeError("transient failure %d" % current.retry_count)
        self.recovered_on = current.retry_count
        self.next(self.fragile)

    @catch(var="fragile_error", print_exception=False)
    @step
    def fragile(self):
        self.before_failure = "kept"
        raise ValueError("this step always fails")
        self.next(self.calm)

    @catch(var="calm_error")
    @step
    def calm(self):
        self.calm_value = 42
        self.next(self.end)

    @step
    def end(self):
        self.fragile_failed = self.fragile_error is not None
        self.calm_failed = self.calm_error is not None


if __name__ == "__main__":
    CatchRetryFlow()
