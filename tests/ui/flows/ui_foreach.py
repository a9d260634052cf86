"""A finished foreach run for the UI tests: cards, a DataFrame, an image and a large artifact."""
import struct
import zlib

from sfncompile import FlowSpec, card, current, step
from sfncompile.cards import Image, Markdown, Table


def tiny_png(width: int = 8, height: int = 8) -> bytes:
    """A solid blue PNG, built by hand (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x09\x69\xda" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


class UiForeachFlow(FlowSpec):
    @step
    def start(self):
        self.items = ["alpha", "beta", "gamma", "delta"]
        self.next(self.score, foreach="items")

    @card
    @step
    def score(self):
        import pandas as pd

        self.item = self.input
        self.points = len(self.input) * 10
        self.table = pd.DataFrame({"item": [self.input] * 3, "value": [1, 2, 3]})
        self.picture = tiny_png()
        self.big = "z" * 300_000
        current.card.append(Markdown(f"# Score of {self.input}\n\nThe score is **{self.points}**."))
        current.card.append(Table([[self.input, self.points]], headers=["item", "score"]))
        current.card.append(Image(self.picture, label="a blue square"))
        print(f"scored {self.input}")
        if self.input == "gamma":
            for i in range(250):
                print(f"gamma log line {i}")
        self.next(self.join)

    @step
    def join(self, inputs):
        self.scores = {i.item: i.points for i in inputs}
        self.next(self.end)

    @step
    def end(self):
        print("scores", self.scores)


if __name__ == "__main__":
    UiForeachFlow()
