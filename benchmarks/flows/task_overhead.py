"""Benchmark: what `sfncompile task` costs before user code runs (each step prints its process's CPU so far)."""
import resource

from sfncompile import FlowSpec, current, step


def cpu_so_far() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class TaskOverheadFlow(FlowSpec):
    @step
    def start(self):
        print(f"SFNBENCH-CPU {cpu_so_far():.4f}")
        self.numbers = [current.run_id, *range(10)]  # a new blob per run, as most artifacts are
        self.next(self.end)

    @step
    def end(self):
        print(f"SFNBENCH-CPU {cpu_so_far():.4f}")
        self.total = (self.numbers[0], sum(self.numbers[1:]))  # new per run too


if __name__ == "__main__":
    TaskOverheadFlow()
