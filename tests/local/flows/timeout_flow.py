"""@timeout: a step that sleeps past its limit is stopped (and retried once, then fails)."""
import os
import signal
import time

from sfncompile import FlowSpec, retry, step, timeout


class TimeoutFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.sleepy)

    @retry(times=1, minutes_between_retries=0)
    @timeout(seconds=1)
    @step
    def sleepy(self):
        if os.environ.get("TIMEOUT_FLOW_BLOCK_SIGNALS"):
            # code that never returns to the interpreter's signal handling: only a kill stops it
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(30)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    TimeoutFlow()
