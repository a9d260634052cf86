"""Print every benchmark figure (never pass/fail): `python benchmarks/run_all.py`."""
from __future__ import annotations

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# Every *_bench.py in this directory, local figures first.
ORDER = ["local_bench.py", "graph_bench.py"]


def main() -> int:
    found = sorted(f for f in os.listdir(HERE) if f.endswith("_bench.py"))
    scripts = [f for f in ORDER if f in found] + [f for f in found if f not in ORDER]
    failed = []
    for script in scripts:
        print(f"== {script}", flush=True)
        code = subprocess.call([sys.executable, os.path.join(HERE, script)])
        if code:
            failed.append(script)
            print(f"   ({script} exited with {code}; its figures above may be incomplete)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
