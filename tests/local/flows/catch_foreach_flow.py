"""@catch on a foreach split: the split fans out to zero items, the join sees the split's artifacts."""
from sfncompile import FlowSpec, catch, step


class CatchForeachFlow(FlowSpec):
    @step
    def start(self):
        self.base = 5
        self.next(self.split)

    @catch(var="split_error")
    @step
    def split(self):
        self.items = [1, 2, 3]
        if self.base == 5:
            raise KeyError("no items today")
        self.next(self.work, foreach="items")

    @step
    def work(self):
        self.value = self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.values = [i.value for i in inputs]
        self.error_text = str(self.split_error)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    CatchForeachFlow()
