"""Artifacts of many Python types survive storage and reach later steps unchanged."""
import datetime
import decimal
import fractions

from metaflow import FlowSpec, step


class ArtifactTypesFlow(FlowSpec):
    @step
    def start(self):
        self.none_value = None
        self.flag = True
        self.integer = 2 ** 70
        self.real = 1.0 / 3
        self.text = "naïve café ✓"
        self.raw = b"\x00\x01\xff"
        self.pair = (1, "two")
        self.bag = {3, 1, 2}
        self.nested = {"a": [1, {"b": (2, 3)}], "c": None}
        self.when = datetime.date(2024, 2, 29)
        self.money = decimal.Decimal("10.25")
        self.part = fractions.Fraction(3, 7)
        self.big_list = list(range(5000))
        self.next(self.end)

    @step
    def end(self):
        self.checks = [
            type(self.pair).__name__,
            type(self.bag).__name__,
            self.when.isoformat(),
            str(self.money),
            str(self.part),
            len(self.big_list),
        ]


if __name__ == "__main__":
    ArtifactTypesFlow()
