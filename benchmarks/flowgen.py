"""Generate large flows for the benchmarks (linear chains of N steps)."""
from __future__ import annotations

import os


def linear_flow_source(steps: int, class_name: str = "Big") -> str:
    lines = [
        "from sfncompile import FlowSpec, step",
        "",
        "",
        f"class {class_name}(FlowSpec):",
        "    @step",
        "    def start(self):",
        "        self.x = 0",
        f"        self.next(self.{'s1' if steps > 2 else 'end'})",
    ]
    for i in range(1, steps - 1):
        nxt = f"s{i + 1}" if i < steps - 2 else "end"
        lines += ["", "    @step", f"    def s{i}(self):", "        self.x += 1", f"        self.next(self.{nxt})"]
    lines += ["", "    @step", "    def end(self):", "        pass", ""]
    return "\n".join(lines)


def write_linear_flow(directory: str, steps: int) -> str:
    path = os.path.join(directory, f"linear_{steps}.py")
    with open(path, "w") as fh:
        fh.write(linear_flow_source(steps, f"Linear{steps}Flow"))
    return path
