"""Each foreach item branches in two and the branches join before the foreach join."""
from metaflow import FlowSpec, step


class BranchInForeachFlow(FlowSpec):
    @step
    def start(self):
        self.cities = ["oslo", "lima", "pune"]
        self.next(self.city, foreach="cities")

    @step
    def city(self):
        self.name_of_city = self.input
        self.next(self.upper, self.reverse)

    @step
    def upper(self):
        self.form = self.name_of_city.upper()
        self.next(self.combine)

    @step
    def reverse(self):
        self.form = self.name_of_city[::-1]
        self.next(self.combine)

    @step
    def combine(self, inputs):
        self.pair = [inputs.upper.form, inputs.reverse.form]
        self.merge_artifacts(inputs, exclude=["form"])
        self.next(self.collect)

    @step
    def collect(self, inputs):
        self.pairs = [i.pair for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        self.flat = [f for p in self.pairs for f in p]


if __name__ == "__main__":
    BranchInForeachFlow()
