"""The smallest flow: start -> hello -> end."""
from sfncompile import FlowSpec, current, step


class HelloFlow(FlowSpec):
    """Say hello, and keep the greeting as an artifact."""

    @step
    def start(self):
        self.greeting = "hello"
        self.next(self.hello)

    @step
    def hello(self):
        print(f"{self.greeting} from {current.pathspec}")
        self.message = f"{self.greeting}, world"
        self.next(self.end)

    @step
    def end(self):
        print(self.message)


if __name__ == "__main__":
    HelloFlow()
