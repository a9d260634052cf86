"""A playlist: parse a CSV into columns, then filter by genre and pick a bonus film in two branches."""
import os

from metaflow import FlowSpec, IncludeFile, Parameter, step


def data_file(name):
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", name)


class PlaylistFlow(FlowSpec):
    films = IncludeFile("films", help="a small CSV of films", default=data_file("films.csv"))
    genre = Parameter("genre", help="genre to build the playlist from", default="Drama")
    size = Parameter("size", help="how many picks", default=4)
    seed = Parameter("seed", help="random seed", default=11)

    @step
    def start(self):
        import csv

        self.columns = {"title": [], "genres": []}
        for row in csv.DictReader(self.films.splitlines()):
            for name in self.columns:
                self.columns[name].append(row[name])
        self.next(self.bonus_film, self.genre_films)

    @step
    def bonus_film(self):
        import random

        others = [
            (title, genres)
            for title, genres in zip(self.columns["title"], self.columns["genres"])
            if self.genre.lower() not in genres.lower()
        ]
        self.bonus = random.Random(self.seed).choice(others)
        self.next(self.join)

    @step
    def genre_films(self):
        import random

        self.picks = [
            title
            for title, genres in zip(self.columns["title"], self.columns["genres"])
            if self.genre.lower() in genres.lower()
        ]
        random.Random(self.seed).shuffle(self.picks)
        self.next(self.join)

    @step
    def join(self, inputs):
        self.playlist = inputs.genre_films.picks[: self.size]
        self.bonus = inputs.bonus_film.bonus
        self.next(self.end)

    @step
    def end(self):
        self.lines = ["%d. %s" % (n, t) for n, t in enumerate(self.playlist, 1)]


if __name__ == "__main__":
    PlaylistFlow()
