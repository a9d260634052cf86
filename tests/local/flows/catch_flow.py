"""@catch on a linear step, a switch and a foreach split."""
from sfncompile import FlowSpec, catch, step


class CatchFlow(FlowSpec):
    @step
    def start(self):
        self.x = 1
        self.next(self.boom)

    @catch(var="boom_error", print_exception=False)
    @step
    def boom(self):
        self.before = "set before the failure"
        if self.x == 1:
            raise ValueError("boom went the step")
        self.next(self.decide)

    @catch(var="switch_error")
    @step
    def decide(self):
        if self.x == 1:
            raise RuntimeError("cannot decide")
        self.route = "loop"
        self.next({"loop": self.decide, "go": self.after}, condition="route")

    @step
    def after(self):
        self.seen_boom = str(self.boom_error)
        self.next(self.end)

    @step
    def end(self):
        self.done = True


if __name__ == "__main__":
    CatchFlow()
