"""Steps pinning different versions of the same package, each in its own environment."""
import sys

from sfncompile import FlowSpec, conda, pypi, pypi_base, step


def _seen():
    import idna

    return {"idna": idna.__version__, "prefix": sys.prefix}


@pypi_base(packages={"idna": "3.6"})
class VersionsFlow(FlowSpec):
    @step
    def start(self):
        self.start_seen = _seen()
        self.next(self.base, self.new, self.conda_spelling, self.plain)

    @pypi(packages={"idna": "3.7"})
    @step
    def new(self):
        self.seen = _seen()
        self.next(self.join)

    @step
    def base(self):
        self.seen = _seen()
        self.next(self.join)

    @conda(libraries={"idna": "3.5"})
    @step
    def conda_spelling(self):
        self.seen = _seen()
        self.next(self.join)

    @pypi(disabled=True)
    @step
    def plain(self):
        self.seen = {"prefix": sys.prefix}
        self.next(self.join)

    @step
    def join(self, inputs):
        self.by_step = {name: getattr(inputs, name).seen for name in ("base", "new", "conda_spelling", "plain")}
        self.next(self.end)

    @step
    def end(self):
        pass
