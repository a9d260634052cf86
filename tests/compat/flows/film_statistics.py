"""Per-genre statistics with pandas: each foreach task narrows the inherited table in place."""
import os

from metaflow import FlowSpec, IncludeFile, step


def data_file(name):
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", name)


class FilmStatisticsFlow(FlowSpec):
    films = IncludeFile("films", help="a small CSV of films", default=data_file("films.csv"))

    @step
    def start(self):
        import io

        import pandas as pd

        self.table = pd.read_csv(io.StringIO(self.films))
        self.genres = sorted({g for gs in self.table["genres"] for g in gs.split("|")})
        self.next(self.per_genre, foreach="genres")

    @step
    def per_genre(self):
        self.genre = self.input
        keep = self.table["genres"].str.contains(self.genre, regex=False)
        # Narrow the inherited DataFrame in place, as the classic statistics tutorial does.
        self.table.drop(self.table[~keep].index, inplace=True)
        self.table.sort_values("gross", inplace=True)
        self.table.reset_index(drop=True, inplace=True)
        del self.table["year"]
        self.quartiles = [float(q) for q in self.table["gross"].quantile([0.25, 0.5, 0.75])]
        self.next(self.join)

    @step
    def join(self, inputs):
        self.stats = {
            inp.genre.lower(): {"quartiles": inp.quartiles, "titles": list(inp.table["title"])}
            for inp in inputs
        }
        self.next(self.end)

    @step
    def end(self):
        self.busiest = max(self.stats, key=lambda g: len(self.stats[g]["titles"]))


if __name__ == "__main__":
    FilmStatisticsFlow()
