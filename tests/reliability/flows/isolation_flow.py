"""start changes the working directory, an environment variable and a module global; check records
what it sees (a clean task sees none of it); leaky runs a subprocess that outlives the step's code."""
import os
import subprocess

from sfncompile import FlowSpec, step

STATE = {"touched": False}


class IsolationFlow(FlowSpec):
    @step
    def start(self):
        self.cwd_before = os.getcwd()
        os.chdir(os.path.dirname(os.path.abspath(__file__)))
        os.environ["SFNCOMPILE_TEST_LEAK"] = "leaked"
        STATE["touched"] = True
        self.next(self.check)

    @step
    def check(self):
        self.cwd = os.getcwd()
        self.env = os.environ.get("SFNCOMPILE_TEST_LEAK")
        self.touched = STATE["touched"]
        self.next(self.leaky)

    @step
    def leaky(self):
        self.sleeper = subprocess.Popen(["sleep", "300"]).pid
        os.system("echo hi from a subprocess")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    IsolationFlow()
