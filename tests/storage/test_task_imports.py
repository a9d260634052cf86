"""A Batch task's process imports botocore for its S3 and DynamoDB clients (and the start task's Step
Functions one, which reads the run's parameters from its execution's input), but neither boto3 nor
s3transfer (boto3 loads s3transfer into every S3 client it makes) unless it uploads a large file or
downloads one (a package environment's wheels), nor what only some steps need (the Markdown
renderer of cards), nor click (the entry point reads a well-formed task command itself)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

FLOW = '''
from sfncompile import FlowSpec, step


class ImportsFlow(FlowSpec):
    @step
    def start(self):
        self.numbers = list(range(10))
        self.next(self.end)

    @step
    def end(self):
        self.total = sum(self.numbers)
'''

# `sfncompile task STEP` as the container runs it; the modules are read when the process exits.
_TASK = r"""
import atexit, json, sys
WATCHED = ("boto3", "s3transfer", "botocore", "sfncompile.cards.markdown", "click")
atexit.register(lambda: print("MODULES " + json.dumps(sorted(m for m in WATCHED if m in sys.modules))))
from sfncompile.cli.main import main
main(sys.argv[1:])
"""

_TRANSFER = r"""
import json, os, sys
from sfncompile.storage.s3_objects import S3ObjectStore

def loaded():
    return sorted(m for m in ("boto3", "s3transfer") if m in sys.modules)

store = S3ObjectStore(sys.argv[1], multipart_threshold=5 * 2**20, multipart_chunksize=5 * 2**20)
small, big, back = (os.path.join(sys.argv[2], name) for name in ("small", "big", "back"))
with open(small, "wb") as fh:
    fh.write(b"x" * 1000)
with open(big, "wb") as fh:
    fh.write(os.urandom(6 * 2**20))
store.put_file("wheels/small", small)
store.put_bytes("blobs/small", b"y" * 1000)
seen = {"small": loaded()}
store.put_file("wheels/big", big)
store.get_file("wheels/big", back)
seen["large"] = loaded()
seen["same"] = open(big, "rb").read() == open(back, "rb").read()
print(json.dumps(seen))
"""


def _bucket_and_table(server) -> tuple:
    server.client("s3").create_bucket(Bucket="imports")
    server.client("dynamodb").create_table(
        TableName="imports",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return "s3://imports/sfncompile", "dynamodb:imports"


def test_a_task_imports_neither_boto3_nor_s3transfer(moto_aws, tmp_path):
    datastore, metadata = _bucket_and_table(moto_aws)
    flow = tmp_path / "imports_flow.py"
    flow.write_text(textwrap.dedent(FLOW))
    env = moto_aws.subprocess_env(SFNCOMPILE_FLOW_FILE=str(flow), SFNCOMPILE_DATASTORE=datastore,
                                  SFNCOMPILE_METADATA=metadata, SFNCOMPILE_USERNAME="tester")
    # The start task reads the run's parameters from its execution's input, as on AWS.
    sfn = moto_aws.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="sfncompile-imports", roleArn=f"arn:aws:iam::{moto_aws.account_id}:role/sfn",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, name="imports", input='{"parameters": {}}')
    for step in ("start", "end"):
        args = ["task", step, "--run-id", "sfn-imports", "--task-id", "0", "--attempt", "0"]
        if step == "start":
            args += ["--execution-arn", execution["executionArn"]]
        out = subprocess.run([sys.executable, "-c", _TASK, *args], env=env, cwd=tmp_path, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        modules = json.loads(out.stdout.split("MODULES ", 1)[1].splitlines()[0])
        assert modules == ["botocore"], (step, modules)


def test_boto3s_transfer_manager_is_imported_for_a_large_file_only(moto_aws, tmp_path):
    datastore, _ = _bucket_and_table(moto_aws)
    out = subprocess.run([sys.executable, "-c", _TRANSFER, datastore, str(tmp_path)], env=moto_aws.subprocess_env(),
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"small": [], "large": ["boto3", "s3transfer"], "same": True}
