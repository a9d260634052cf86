"""@catch on a step that succeeds (its var is None) and on an end step that fails (the run is not successful)."""
import os

from sfncompile import FlowSpec, catch, step


class CatchEndFlow(FlowSpec):
    @catch(var="start_error")
    @step
    def start(self):
        self.x = 1
        self.next(self.end)

    @catch(var="end_error", print_exception=False)
    @step
    def end(self):
        self.reached = True
        if os.environ.get("END_FAILS", "1") == "1":
            raise RuntimeError("end broke")


if __name__ == "__main__":
    CatchEndFlow()
