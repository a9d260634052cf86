"""Parameter(separator=...): a comma-separated value arrives as a list and drives a foreach."""
from metaflow import FlowSpec, Parameter, step


class SeparatorParameterFlow(FlowSpec):
    regions = Parameter("regions", help="comma-separated regions", default="eu,us", separator=",")

    @step
    def start(self):
        self.region_list = list(self.regions)
        self.next(self.visit, foreach="region_list")

    @step
    def visit(self):
        self.visited = self.input.upper()
        self.next(self.join)

    @step
    def join(self, inputs):
        self.visited_all = [i.visited for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    SeparatorParameterFlow()
