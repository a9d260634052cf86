"""scikit-learn on the bundled iris data: split, fit one model per C in a foreach, keep the best."""
from metaflow import FlowSpec, JSONType, Parameter, step


class IrisClassifierFlow(FlowSpec):
    c_values = Parameter("c_values", type=JSONType, default="[0.01, 0.1, 1.0, 10.0]")
    seed = Parameter("seed", default=0)

    @step
    def start(self):
        from sklearn.datasets import load_iris
        from sklearn.model_selection import train_test_split

        data = load_iris()
        self.x_train, self.x_test, self.y_train, self.y_test = train_test_split(
            data.data, data.target, test_size=0.3, random_state=self.seed, stratify=data.target
        )
        self.feature_names = list(data.feature_names)
        self.next(self.fit, foreach="c_values")

    @step
    def fit(self):
        from sklearn.linear_model import LogisticRegression

        self.c = self.input
        self.model = LogisticRegression(C=self.c, max_iter=500).fit(self.x_train, self.y_train)
        self.accuracy = round(float(self.model.score(self.x_test, self.y_test)), 6)
        self.next(self.choose)

    @step
    def choose(self, inputs):
        best = max(inputs, key=lambda i: (i.accuracy, -i.c))
        self.best_c = best.c
        self.best_model = best.model
        self.scores = {str(i.c): i.accuracy for i in inputs}
        self.x_test = inputs[0].x_test
        self.y_test = inputs[0].y_test
        self.next(self.end)

    @step
    def end(self):
        self.predictions = [int(p) for p in self.best_model.predict(self.x_test[:10])]
        self.truth = [int(t) for t in self.y_test[:10]]


if __name__ == "__main__":
    IrisClassifierFlow()
