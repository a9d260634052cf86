"""A static branch: two steps run in parallel and a join merges their artifacts."""
from sfncompile import FlowSpec, step


class BranchFlow(FlowSpec):
    @step
    def start(self):
        self.base = 10
        self.next(self.double, self.square)

    @step
    def double(self):
        self.result = self.base * 2
        self.next(self.join)

    @step
    def square(self):
        self.result = self.base**2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.results = {"double": inputs.double.result, "square": inputs.square.result}
        self.merge_artifacts(inputs, exclude=["result"])
        self.next(self.end)

    @step
    def end(self):
        print(self.results, self.base)


if __name__ == "__main__":
    BranchFlow()
