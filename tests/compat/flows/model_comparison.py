"""Compare two scikit-learn models on the bundled wine data in two branches, with a scaler pipeline."""
from metaflow import FlowSpec, Parameter, step


class ModelComparisonFlow(FlowSpec):
    folds = Parameter("folds", help="cross-validation folds", default=3)

    @step
    def start(self):
        from sklearn.datasets import load_wine

        self.x, self.y = load_wine(return_X_y=True)
        self.n_samples = int(self.x.shape[0])
        self.next(self.forest, self.knn)

    @step
    def forest(self):
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.model_selection import cross_val_score

        model = RandomForestClassifier(n_estimators=25, random_state=1)
        self.cv = [round(float(s), 6) for s in cross_val_score(model, self.x, self.y, cv=self.folds)]
        self.model_name = "forest"
        self.next(self.join)

    @step
    def knn(self):
        from sklearn.model_selection import cross_val_score
        from sklearn.neighbors import KNeighborsClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        model = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=5))
        self.cv = [round(float(s), 6) for s in cross_val_score(model, self.x, self.y, cv=self.folds)]
        self.model_name = "knn"
        self.next(self.join)

    @step
    def join(self, inputs):
        self.results = {i.model_name: round(sum(i.cv) / len(i.cv), 6) for i in inputs}
        self.winner = max(self.results, key=self.results.get)
        self.merge_artifacts(inputs, exclude=["cv", "model_name"])
        self.next(self.end)

    @step
    def end(self):
        self.summary = "%s wins on %d samples" % (self.winner, self.n_samples)


if __name__ == "__main__":
    ModelComparisonFlow()
