"""A step that sleeps long enough to be terminated while it runs."""
import time

from sfncompile import FlowSpec, Parameter, step


class SleepyFlow(FlowSpec):
    seconds = Parameter("seconds", default=30, help="how long step 'nap' sleeps")
    woke = Parameter("woke", default="", help="file 'nap' writes if it ever finishes its sleep")

    @step
    def start(self):
        self.next(self.nap)

    @step
    def nap(self):
        print("napping", flush=True)
        time.sleep(self.seconds)
        if self.woke:
            open(self.woke, "w").close()
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    SleepyFlow()
