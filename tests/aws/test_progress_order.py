"""`trigger --wait` progress lists steps in graph order, not in the order the file defines them."""
from __future__ import annotations

from sfncompile.aws import config as cfg
from sfncompile.aws.deploy import deploy
from sfncompile.aws.manifest import find_manifest
from sfncompile.aws.progress import progress_state

FLOW = '''
from sfncompile import FlowSpec, step


class OutOfOrderFlow(FlowSpec):
    @step
    def end(self):
        pass

    @step
    def train(self):
        self.next(self.end)

    @step
    def start(self):
        self.next(self.prepare)

    @step
    def prepare(self):
        self.next(self.train)
'''


def test_deployed_steps_and_progress_follow_the_graph(aws_environ, aws_stack, tmp_path):
    flow = tmp_path / "out_of_order_flow.py"
    flow.write_text(FLOW)
    deploy(str(flow), config=aws_stack)
    steps = find_manifest(cfg.stores(aws_stack).objects, aws_stack, "OutOfOrderFlow", None)["steps"]
    assert steps == ["start", "prepare", "train", "end"]
    tasks = [{"step": s, "status": "SUCCEEDED"} for s in ("end", "train", "prepare", "start")]
    state = progress_state("SUCCEEDED", steps, tasks)
    assert state.endswith("| start done, prepare done, train done, end done")
