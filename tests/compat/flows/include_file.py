"""IncludeFile: a CSV read at the start of the run and versioned with it."""
import os

from metaflow import FlowSpec, IncludeFile, step


def data_file(name):
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", name)


class IncludeFileFlow(FlowSpec):
    films = IncludeFile("films", help="a small CSV of films", default=data_file("films.csv"))

    @step
    def start(self):
        import csv

        rows = list(csv.DictReader(self.films.splitlines()))
        self.count = len(rows)
        self.columns = list(rows[0].keys())
        self.first_title = rows[0]["title"]
        self.next(self.end)

    @step
    def end(self):
        self.characters = len(self.films)


if __name__ == "__main__":
    IncludeFileFlow()
