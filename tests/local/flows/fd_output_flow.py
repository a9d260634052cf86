"""Output from Python, from a subprocess and from C, in one step."""
import ctypes
import os

from sfncompile import FlowSpec, step


class FdOutputFlow(FlowSpec):
    @step
    def start(self):
        print("from python")
        os.system("echo from the shell")
        libc = ctypes.CDLL(None)
        libc.write(2, b"from C on stderr\n", 17)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    FdOutputFlow()
