"""Nested foreach: a grid of (model, fold) tasks."""
from sfncompile import FlowSpec, step


class NestedForeachFlow(FlowSpec):
    @step
    def start(self):
        self.models = ["linear", "tree"]
        self.next(self.per_model, foreach="models")

    @step
    def per_model(self):
        self.model = self.input
        self.folds = [0, 1, 2]
        self.next(self.fit, foreach="folds")

    @step
    def fit(self):
        self.score = (len(self.model), self.input, self.foreach_stack()[0][0])
        self.next(self.join_folds)

    @step
    def join_folds(self, inputs):
        self.scores = [i.score for i in inputs]
        self.model = inputs[0].model
        self.next(self.join_models)

    @step
    def join_models(self, inputs):
        self.table = {i.model: i.scores for i in inputs}
        self.next(self.end)

    @step
    def end(self):
        print(self.table)


if __name__ == "__main__":
    NestedForeachFlow()
