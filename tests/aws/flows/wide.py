"""A foreach forced onto a Distributed Map (S3 item reader)."""
from sfncompile import FlowSpec, Parameter, foreach, step


class WideFlow(FlowSpec):
    width = Parameter("width", default=4)

    @foreach(mode="distributed", max_concurrency=8)
    @step
    def start(self):
        self.items = list(range(self.width))
        self.next(self.square, foreach="items")

    @step
    def square(self):
        self.value = self.input ** 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.value for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    WideFlow()
