from sfncompile import FlowSpec, step


class NestedForeach3Flow(FlowSpec):
    @step
    def start(self):
        self.xs = [1, 2]
        self.next(self.a, foreach="xs")

    @step
    def a(self):
        self.ys = [10, 20]
        self.next(self.b, foreach="ys")

    @step
    def b(self):
        self.zs = [100, 200, 300]
        self.next(self.c, foreach="zs")

    @step
    def c(self):
        self.total = sum(item for _, _, item in self.foreach_stack())
        self.path = tuple(i for i, _, _ in self.foreach_stack())
        self.next(self.join_c)

    @step
    def join_c(self, inputs):
        self.totals = [i.total for i in inputs]
        self.next(self.join_b)

    @step
    def join_b(self, inputs):
        self.totals = [t for i in inputs for t in i.totals]
        self.next(self.join_a)

    @step
    def join_a(self, inputs):
        self.totals = [t for i in inputs for t in i.totals]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    NestedForeach3Flow()
