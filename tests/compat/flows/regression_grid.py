"""Ridge regression on the bundled diabetes data over a JSON grid; the join keeps the lowest error."""
from metaflow import FlowSpec, JSONType, Parameter, step


class RegressionGridFlow(FlowSpec):
    grid = Parameter("grid", type=JSONType, default='{"alpha": [0.1, 1.0, 10.0]}')

    @step
    def start(self):
        from sklearn.datasets import load_diabetes
        from sklearn.model_selection import train_test_split

        x, y = load_diabetes(return_X_y=True)
        self.split = train_test_split(x, y, test_size=0.25, random_state=3)
        self.alphas = self.grid["alpha"]
        self.next(self.fit, foreach="alphas")

    @step
    def fit(self):
        from sklearn.linear_model import Ridge
        from sklearn.metrics import mean_squared_error

        x_train, x_test, y_train, y_test = self.split
        model = Ridge(alpha=self.input).fit(x_train, y_train)
        self.alpha = self.input
        self.mse = round(float(mean_squared_error(y_test, model.predict(x_test))), 4)
        self.coef_norm = round(float((model.coef_ ** 2).sum() ** 0.5), 4)
        self.next(self.join)

    @step
    def join(self, inputs):
        self.errors = [(i.alpha, i.mse) for i in inputs]
        best = min(inputs, key=lambda i: i.mse)
        self.best_alpha = best.alpha
        self.best_norm = best.coef_norm
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    RegressionGridFlow()
