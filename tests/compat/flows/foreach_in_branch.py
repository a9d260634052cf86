"""One branch fans out with foreach, the other stays single; both meet in a join."""
from metaflow import FlowSpec, step


class ForeachInBranchFlow(FlowSpec):
    @step
    def start(self):
        self.factor = 3
        self.next(self.fan, self.single)

    @step
    def fan(self):
        self.items = [10, 20, 30]
        self.next(self.work, foreach="items")

    @step
    def work(self):
        self.product = self.input * self.factor
        self.next(self.gather)

    @step
    def gather(self, inputs):
        self.products = [i.product for i in inputs]
        self.next(self.join)

    @step
    def single(self):
        self.products = [self.factor]
        self.next(self.join)

    @step
    def join(self, inputs):
        self.from_fan = inputs.gather.products
        self.from_single = inputs.single.products
        self.merge_artifacts(inputs, exclude=["products"])
        self.next(self.end)

    @step
    def end(self):
        self.grand_total = sum(self.from_fan) + sum(self.from_single)


if __name__ == "__main__":
    ForeachInBranchFlow()
