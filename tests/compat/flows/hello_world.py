"""The smallest flow: three linear steps passing a greeting along."""
from metaflow import FlowSpec, step


class HelloWorldFlow(FlowSpec):
    @step
    def start(self):
        self.greeting = "hello"
        self.next(self.hello)

    @step
    def hello(self):
        self.message = self.greeting + ", world"
        self.next(self.end)

    @step
    def end(self):
        self.length = len(self.message)


if __name__ == "__main__":
    HelloWorldFlow()
