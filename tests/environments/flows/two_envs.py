"""Two steps, two environments pinning different versions of the same package."""
import sys

from sfncompile import FlowSpec, pypi, step


def _seen():
    import idna

    return {"idna": idna.__version__, "prefix": sys.prefix}


class TwoEnvsFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.old, self.new)

    @pypi(packages={"idna": "3.6"})
    @step
    def old(self):
        self.seen = _seen()
        self.next(self.join)

    @pypi(packages={"idna": "3.7"})
    @step
    def new(self):
        self.seen = _seen()
        self.next(self.join)

    @step
    def join(self, inputs):
        self.by_step = {"old": inputs.old.seen, "new": inputs.new.seen}
        self.next(self.end)

    @step
    def end(self):
        pass
