"""The flow from the README: foreach, join, a switch that may loop back, decorators."""
from sfncompile import FlowSpec, JSONType, Parameter, catch, resources, retry, step


class TrainFlow(FlowSpec):
    alpha = Parameter("alpha", default=0.1, help="learning rate")
    grid = Parameter("grid", type=JSONType, default="[1, 2, 3]", help="values to try")

    @step
    def start(self):
        self.items = list(self.grid)
        self.next(self.fit, foreach="items")

    @retry(times=2, minutes_between_retries=0)
    @resources(cpu=1, memory=1024)
    @step
    def fit(self):
        self.score = self.input * self.alpha
        self.next(self.join)

    @step
    def join(self, inputs):
        self.best = max(i.score for i in inputs)
        self.merge_artifacts(inputs, exclude=["score"])
        self.next(self.check)

    @catch(var="check_error")
    @step
    def check(self):
        self.verdict = "retry" if self.best < 0 else "done"
        self.next({"retry": self.start, "done": self.end}, condition="verdict")

    @step
    def end(self):
        print("best score:", self.best)


if __name__ == "__main__":
    TrainFlow()
