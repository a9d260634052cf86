"""Started by events: data_ready's payload field `lr` becomes parameter alpha."""
from sfncompile import FlowSpec, Parameter, current, step, trigger


@trigger(events=[{"name": "data_ready", "parameters": {"alpha": "lr"}}, "refresh"])
class ScoreFlow(FlowSpec):
    alpha = Parameter("alpha", default=0.5, type=float)

    @step
    def start(self):
        self.seen_alpha = self.alpha
        self.event = current.trigger.event if current.trigger else None
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ScoreFlow()
