"""A step whose worker is killed by SIGKILL on attempt 0 (like the OS's OOM killer), then succeeds."""
import os
import signal

from sfncompile import FlowSpec, current, retry, step


class KilledFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.victim)

    @retry(times=1, minutes_between_retries=0)
    @step
    def victim(self):
        if current.retry_count == 0 or os.environ.get("KILLED_FLOW_ALWAYS"):
            os.kill(os.getpid(), signal.SIGKILL)
        self.survived = current.retry_count
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    KilledFlow()
