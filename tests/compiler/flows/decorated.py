"""Every decorator the compiler reads, and both forced foreach modes (compiler tests)."""
from sfncompile import FlowSpec, batch, catch, environment, foreach, resources, retry, step, timeout


class DecoratedFlow(FlowSpec):
    @foreach(mode="inline", max_concurrency=4)
    @step
    def start(self):
        self.items = [1, 2, 3]
        self.next(self.fit, foreach="items")

    @retry(times=3, minutes_between_retries=0.5)
    @timeout(seconds=30)
    @resources(cpu=2, memory=4096, gpu=1)
    @environment(vars={"MODE": "fast", "ALPHA": "0.1"})
    @step
    def fit(self):
        self.score = self.input * 2
        self.next(self.join)

    @foreach(mode="distributed", max_concurrency=100)
    @step
    def join(self, inputs):
        self.scores = [i.score for i in inputs]
        self.wide = list(range(10))
        self.next(self.score_one, foreach="wide")

    @batch(image="python:3.11-slim", queue="gpu-queue", cpu=0.5, memory=512)
    @catch(var="error")
    @timeout(minutes=90)
    @step
    def score_one(self):
        self.value = self.input
        self.next(self.gather)

    @step
    def gather(self, inputs):
        self.values = [i.value for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    DecoratedFlow()
