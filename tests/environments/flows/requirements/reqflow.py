"""A flow whose base environment is the requirements.txt beside it."""
from sfncompile import FlowSpec, pypi, step


class RequirementsFlow(FlowSpec):
    @step
    def start(self):
        import idna

        self.base_version = idna.__version__
        self.next(self.end)

    @pypi(packages={"idna": "3.7"})
    @step
    def end(self):
        import idna

        self.end_version = idna.__version__
