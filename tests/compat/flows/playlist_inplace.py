"""Playlist variant that edits inherited lists and dicts in place in a linear chain."""
from metaflow import FlowSpec, step


class PlaylistInPlaceFlow(FlowSpec):
    @step
    def start(self):
        self.playlist = ["b-side", "anthem", "ballad", "cover"]
        self.ratings = {"anthem": 5, "ballad": 3}
        self.next(self.curate)

    @step
    def curate(self):
        self.playlist.remove("cover")
        self.playlist.sort()
        self.playlist.append("encore")
        self.ratings["encore"] = 4
        self.next(self.rate)

    @step
    def rate(self):
        self.ratings.pop("ballad")
        self.top = [t for t in self.playlist if self.ratings.get(t, 0) >= 4]
        self.next(self.end)

    @step
    def end(self):
        self.final = list(self.playlist)


if __name__ == "__main__":
    PlaylistInPlaceFlow()
