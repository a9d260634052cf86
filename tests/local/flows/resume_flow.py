"""Fails in `train` when RESUME_FLOW_FAIL is set; every step counts its executions in a side file."""
import os

from sfncompile import FlowSpec, Parameter, step


def _count(name):
    path = os.environ.get("RESUME_FLOW_COUNTER")
    if path:
        with open(path, "a") as fh:
            fh.write(name + "\n")


class ResumeFlow(FlowSpec):
    scale = Parameter("scale", default=1)

    @step
    def start(self):
        _count("start")
        self.items = [1, 2, 3]
        self.next(self.square, foreach="items")

    @step
    def square(self):
        _count(f"square/{self.index}")
        self.sq = self.input * self.input * self.scale
        self.next(self.join)

    @step
    def join(self, inputs):
        _count("join")
        self.squares = [i.sq for i in inputs]
        self.next(self.train)

    @step
    def train(self):
        _count("train")
        if os.environ.get("RESUME_FLOW_FAIL"):
            raise RuntimeError("injected failure")
        self.total = sum(self.squares)
        self.next(self.end)

    @step
    def end(self):
        _count("end")


if __name__ == "__main__":
    ResumeFlow()
