"""pandas in a foreach: each task edits its own copy of the inherited frame in place."""
from metaflow import FlowSpec, step


class PandasForeachFlow(FlowSpec):
    @step
    def start(self):
        import pandas as pd

        self.frame = pd.DataFrame({"store": ["n", "s", "n", "e", "s", "n"], "sales": [5, 3, 8, 2, 7, 1]})
        self.stores = sorted(self.frame["store"].unique().tolist())
        self.next(self.per_store, foreach="stores")

    @step
    def per_store(self):
        self.store = wanted = self.input
        self.frame.query("store == @wanted", inplace=True)
        self.frame["share"] = self.frame["sales"] / self.frame["sales"].sum()
        self.next(self.join)

    @step
    def join(self, inputs):
        self.sizes = {i.store: len(i.frame) for i in inputs}
        self.shares = {i.store: [round(float(s), 6) for s in i.frame["share"]] for i in inputs}
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    PandasForeachFlow()
