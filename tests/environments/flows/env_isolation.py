"""A foreach over a step with an environment: each task records its process and leaves a child behind."""
import os
import subprocess
import sys

from sfncompile import FlowSpec, pypi, step


class EnvIsolationFlow(FlowSpec):
    @step
    def start(self):
        self.items = [0, 1]
        self.next(self.work, foreach="items")

    @pypi(packages={"idna": "3.6"})
    @step
    def work(self):
        self.seen = {
            "pid": os.getpid(),
            "pgid": os.getpgid(0),
            "parent": os.getppid(),  # the environment's template process
            "prefix": sys.prefix,
            "left_behind": os.environ.get("SFNCOMPILE_LEFT_BEHIND"),  # set by an earlier task?
        }
        os.environ["SFNCOMPILE_LEFT_BEHIND"] = "set by an earlier task"
        # A child the step forgets about: killed with the task's process group when the task ends.
        self.orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]).pid
        print(f"env task {self.input}")
        self.next(self.join)

    @step
    def join(self, inputs):
        self.seen_all = [i.seen for i in inputs]
        self.orphans = [i.orphan for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        pass
