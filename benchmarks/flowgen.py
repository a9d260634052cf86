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


def nested_foreach_source(depth: int, body_steps: int, class_name: str = "Nested") -> str:
    """``depth`` foreaches nested in each other (default mode: auto), ``body_steps`` linear steps innermost."""
    splits = ["start"] + [f"split{i}" for i in range(1, depth)]
    body = [f"body{i}" for i in range(1, body_steps + 1)]
    joins = [f"join{i}" for i in reversed(range(depth))]  # innermost first
    chain = splits + body + joins + ["end"]
    lines = ["from sfncompile import FlowSpec, step", "", "", f"class {class_name}(FlowSpec):"]
    for name, nxt in zip(chain, chain[1:] + [None]):
        args = "self, inputs" if name in joins else "self"
        lines += ["    @step", f"    def {name}({args}):"]
        if name in splits:
            lines += ["        self.xs = [1, 2]", f"        self.next(self.{nxt}, foreach='xs')"]
        elif nxt is None:
            lines += ["        pass"]
        else:
            lines += [f"        self.next(self.{nxt})"]
        lines.append("")
    return "\n".join(lines)


def write_nested_foreach_flow(directory: str, depth: int, body_steps: int) -> str:
    path = os.path.join(directory, f"nested_{depth}_{body_steps}.py")
    with open(path, "w") as fh:
        fh.write(nested_foreach_source(depth, body_steps, f"Nested{depth}Flow"))
    return path
