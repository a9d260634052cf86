"""pandas cleaning in place: fill, add columns, then group in parallel branches."""
import os

from metaflow import FlowSpec, step


def data_file(name):
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", name)


class PandasCleaningFlow(FlowSpec):
    @step
    def start(self):
        import pandas as pd

        self.scores = pd.read_csv(data_file("scores.csv"))
        self.raw_rows = len(self.scores)
        self.next(self.clean)

    @step
    def clean(self):
        # All in place on the inherited frame.
        self.scores["score"] = self.scores["score"].fillna(self.scores["score"].mean())
        self.scores["passed"] = self.scores["score"] >= 60
        self.scores["per_hour"] = (self.scores["score"] / self.scores["hours"]).round(3)
        self.next(self.by_student, self.by_subject)

    @step
    def by_student(self):
        self.table = self.scores.groupby("student")["score"].mean().round(3)
        self.next(self.join)

    @step
    def by_subject(self):
        self.table = self.scores.groupby("subject")["passed"].sum()
        self.next(self.join)

    @step
    def join(self, inputs):
        self.student_means = inputs.by_student.table.to_dict()
        self.subject_passes = {k: int(v) for k, v in inputs.by_subject.table.items()}
        self.scores = inputs.by_student.scores
        self.next(self.end)

    @step
    def end(self):
        self.columns = list(self.scores.columns)
        self.passed_rows = int(self.scores["passed"].sum())


if __name__ == "__main__":
    PandasCleaningFlow()
