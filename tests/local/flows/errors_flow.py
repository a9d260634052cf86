"""Steps that go wrong in different ways, chosen by the `mode` parameter."""
import threading

from sfncompile import FlowSpec, Parameter, step


class ErrorsFlow(FlowSpec):
    mode = Parameter("mode", default="ok")

    @step
    def start(self):
        self.items = [] if self.mode == "empty" else [1, 2]
        if self.mode == "unpicklable":
            self.lock = threading.Lock()
        self.choice = "nope" if self.mode == "badchoice" else "a"
        self.next(self.decide)

    @step
    def decide(self):
        self.next({"a": self.fan, "b": self.end}, condition="choice")

    @step
    def fan(self):
        self.next(self.work, foreach="items")

    @step
    def work(self):
        self.v = self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.vs = [i.v for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ErrorsFlow()
