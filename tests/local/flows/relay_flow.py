"""Every step records its process id and whether its process opened an SQLite connection.

Loading this file wraps ``sqlite3.connect`` to note the pid of each caller: the flow is loaded
before any task process is forked (run it in a process of its own: ``sfncompile run``)."""
import os
import sqlite3

from sfncompile import FlowSpec, step

CONNECTED = []  # pids of the processes that opened an SQLite connection
_connect = sqlite3.connect


def _noting_connect(*args, **kwargs):
    CONNECTED.append(os.getpid())
    return _connect(*args, **kwargs)


sqlite3.connect = _noting_connect


def seen():
    return os.getpid(), os.getpid() in CONNECTED


class RelayFlow(FlowSpec):
    @step
    def start(self):
        self.seen = {"start": seen()}
        self.items = [1, 2, 3]
        self.next(self.body, foreach="items")

    @step
    def body(self):
        self.seen = dict(self.seen, **{f"body{self.input}": seen()})
        self.next(self.join)

    @step
    def join(self, inputs):
        self.seen = {k: v for i in inputs for k, v in i.seen.items()}
        self.seen["join"] = seen()
        self.next(self.end)

    @step
    def end(self):
        self.seen = dict(self.seen, end=seen())


if __name__ == "__main__":
    RelayFlow()
