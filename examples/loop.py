"""A loop: a switch goes back to an earlier step until a condition holds."""
from sfncompile import FlowSpec, Parameter, step


class LoopFlow(FlowSpec):
    target = Parameter("target", default=3, help="how many rounds to run")

    @step
    def start(self):
        self.rounds = 0
        self.next(self.work)

    @step
    def work(self):
        self.rounds += 1
        self.next(self.check)

    @step
    def check(self):
        self.status = "again" if self.rounds < self.target else "done"
        self.next({"again": self.work, "done": self.end}, condition="status")

    @step
    def end(self):
        print("rounds:", self.rounds)


if __name__ == "__main__":
    LoopFlow()
