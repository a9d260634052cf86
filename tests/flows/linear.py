from sfncompile import FlowSpec, step


class LinearFlow(FlowSpec):
    @step
    def start(self):
        self.x = 1
        self.next(self.a)

    @step
    def a(self):
        self.x += 1
        self.next(self.b)

    @step
    def b(self):
        self.x *= 10
        self.next(self.end)

    @step
    def end(self):
        self.final = self.x


if __name__ == "__main__":
    LinearFlow()
