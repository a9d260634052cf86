"""Inherited artifacts changed in place, in linear, branch, join and foreach steps (Metaflow keeps such changes)."""
import os

import pandas as pd

from sfncompile import FlowSpec, step


class Tripwire:
    """Appends a line to $TRIPWIRE_FILE whenever it is unpickled: a step that never reads it must not load it."""

    def __init__(self) -> None:
        self.value = 1

    def __setstate__(self, state):
        self.__dict__.update(state)
        path = os.environ.get("TRIPWIRE_FILE")
        if path:
            with open(path, "a") as fh:
                fh.write("loaded\n")


class MutationFlow(FlowSpec):
    @step
    def start(self):
        self.df = pd.DataFrame({"x": [1, 2, 3, 4], "y": [10, 20, 30, 40]})
        self.table = pd.DataFrame({"y": [5, 15, 25, 35]})
        self.items = [1]
        self.config = {"stage": "start"}
        self.frozen = pd.DataFrame({"z": [1, 2, 3]})
        self.untouched = Tripwire()
        self.next(self.mutate)

    @step
    def mutate(self):
        self.df["x"] = 0
        self.table.drop(self.table[self.table.y < 20].index, inplace=True)
        self.items.append(2)
        self.config["stage"] = "mutate"
        self.frozen_sum = int(self.frozen["z"].sum())  # read, not changed
        self.next(self.a, self.b)

    @step
    def a(self):
        self.items.append("a")
        self.config["seen"] = True
        self.next(self.join)

    @step
    def b(self):
        self.df.loc[0, "y"] = -1
        self.config["seen"] = True
        self.next(self.join)

    @step
    def join(self, inputs):
        self.items_by_branch = {"a": inputs.a.items, "b": inputs.b.items}
        self.y_by_branch = {"a": inputs.a.df["y"].tolist(), "b": inputs.b.df["y"].tolist()}
        self.merge_artifacts(inputs, exclude=["items", "df"])
        self.config["joined"] = True  # a merged artifact, changed in the join
        self.next(self.split)

    @step
    def split(self):
        self.parts = [0, 1, 2]
        self.next(self.work, foreach="parts")

    @step
    def work(self):
        self.config["item"] = self.input
        self.table["y"] = self.table["y"] + self.input
        self.next(self.gather)

    @step
    def gather(self, inputs):
        self.items_per_item = [inp.config["item"] for inp in inputs]
        self.table_per_item = [inp.table["y"].tolist() for inp in inputs]
        self.log = ["gather"]
        self.next(self.end)

    @step
    def end(self):
        self.log.append("end")


if __name__ == "__main__":
    MutationFlow()
