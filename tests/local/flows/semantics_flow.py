"""Metaflow's foreach_stack frames, current.parameter_names, @retry without a delay, a catchable @timeout."""
import time

from sfncompile import FlowSpec, Parameter, TimeoutException, current, retry, step, timeout


class SemanticsFlow(FlowSpec):
    alpha = Parameter("alpha", default=0.5)
    beta = Parameter("beta", default="b")

    @step
    def start(self):
        self.names = current.parameter_names
        self.outside = self.foreach_stack()
        self.xs = ["a", "b"]
        self.next(self.outer, foreach="xs")

    @step
    def outer(self):
        self.ys = [10, 20, 30]
        self.next(self.inner, foreach="ys")

    @step
    def inner(self):
        self.stack = self.foreach_stack()
        self.next(self.join_inner)

    @step
    def join_inner(self, inputs):
        self.stacks = [i.stack for i in inputs]
        self.next(self.join_outer)

    @step
    def join_outer(self, inputs):
        self.stacks = [s for i in inputs for s in i.stacks]
        self.next(self.flaky)

    @retry(times=1)
    @step
    def flaky(self):
        if current.retry_count == 0:
            raise RuntimeError("the first attempt fails")
        self.next(self.slow)

    @timeout(seconds=1)
    @step
    def slow(self):
        try:
            time.sleep(20)
            self.timed_out = False
        except TimeoutException as exc:
            self.timed_out = type(exc).__name__
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    SemanticsFlow()
