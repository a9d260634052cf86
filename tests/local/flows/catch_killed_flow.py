"""@catch on a step whose worker is killed on every attempt: the flow still goes on."""
import os
import signal

from sfncompile import FlowSpec, catch, step


class CatchKilledFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.victim)

    @catch(var="victim_error")
    @step
    def victim(self):
        os.kill(os.getpid(), signal.SIGKILL)
        self.next(self.end)

    @step
    def end(self):
        self.error_type = self.victim_error.type


if __name__ == "__main__":
    CatchKilledFlow()
