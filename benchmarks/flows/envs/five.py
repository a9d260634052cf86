"""One step in a 5-package environment (first-build figure)."""
from sfncompile import FlowSpec, pypi, step


class FivePackagesFlow(FlowSpec):
    @pypi(packages={"requests": "2.32.3", "packaging": "24.2", "pyparsing": "3.2.0", "tomli": "2.2.1",
                    "attrs": ""})
    @step
    def start(self):
        import requests  # noqa: F401

        self.next(self.end)

    @step
    def end(self):
        pass
