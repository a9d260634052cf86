"""A step with an environment that ignores its in-task @timeout alarm."""
from sfncompile import FlowSpec, pypi, step, timeout


class EnvTimeoutFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.slow)

    @timeout(seconds=1)
    @pypi(packages={"idna": "3.6"})
    @step
    def slow(self):
        import signal
        import time

        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # only the scheduler can stop it now
        time.sleep(60)
        self.next(self.end)

    @step
    def end(self):
        pass
