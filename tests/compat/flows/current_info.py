"""What `current` reports inside steps (only the parts that are the same on every run)."""
from metaflow import FlowSpec, current, step


class CurrentInfoFlow(FlowSpec):
    @step
    def start(self):
        self.seen = [current.flow_name, current.step_name, current.retry_count]
        self.has_run_id = bool(current.run_id)
        self.pathspec_shape = current.pathspec.count("/")
        self.next(self.end)

    @step
    def end(self):
        self.seen_end = [current.flow_name, current.step_name]


if __name__ == "__main__":
    CurrentInfoFlow()
