"""A step in a ~50 MB environment (container bootstrap figure)."""
from sfncompile import FlowSpec, pypi, step


class BigEnvFlow(FlowSpec):
    @pypi(packages={"numpy": "2.1.3", "pandas": "2.2.3"})
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
