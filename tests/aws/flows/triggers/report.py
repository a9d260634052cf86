"""Started by event report_ready: its payload's `text` field becomes parameter text (tens of KB of it)."""
from sfncompile import FlowSpec, Parameter, current, step, trigger


@trigger(event="report_ready", parameters=["text"])
class ReportFlow(FlowSpec):
    text = Parameter("text", default="")

    @step
    def start(self):
        self.text_read = self.text
        self.payload_read = current.trigger.payload
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ReportFlow()
