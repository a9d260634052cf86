"""A foreach whose body runs in a cached @pypi environment (SFNCOMPILE_BENCH_ENV=0: no environment)."""
import os

from sfncompile import FlowSpec, Parameter, pypi, step

WITH_ENV = os.environ.get("SFNCOMPILE_BENCH_ENV", "1") == "1"


class EnvForeachFlow(FlowSpec):
    width = Parameter("width", default=100)

    @step
    def start(self):
        self.items = list(range(int(self.width)))
        self.next(self.body, foreach="items")

    @pypi(packages={"idna": "3.7"}, disabled=not WITH_ENV)
    @step
    def body(self):
        self.value = self.input * 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.value for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass
