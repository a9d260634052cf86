"""A flow with a schedule in a time zone (the test rewrites the decorator line)."""
from sfncompile import FlowSpec, schedule, step


@schedule(cron="0 6 * * ? *", timezone="Europe/Paris")
class ScheduledFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ScheduledFlow()
