"""@catch stores the exception and the flow goes on."""
from sfncompile import FlowSpec, catch, step


class CaughtFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.risky)

    @catch(var="problem")
    @step
    def risky(self):
        raise ValueError("bad input row 7")
        self.next(self.end)  # noqa: unreachable - the graph still needs the transition

    @step
    def end(self):
        self.summary = f"continued after: {self.problem}"


if __name__ == "__main__":
    CaughtFlow()
