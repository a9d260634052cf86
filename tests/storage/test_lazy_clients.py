"""A task pays only for the AWS clients it uses: botocore is imported, and each client made, on first use, once."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import REGION

_PROBE = r"""
import json, sys
from sfncompile.cli import task_cmd  # what `sfncompile task` imports before it runs
from sfncompile.storage.factory import open_stores

stores = open_stores("s3://bucket/prefix", "dynamodb:table", region=sys.argv[1])
seen = {"opened": "boto3" in sys.modules or "botocore" in sys.modules}
client = stores.metadata.client
seen["dynamodb_made"] = "botocore" in sys.modules
seen["s3_made"] = stores.objects._client._client is not None
seen["same_stores"] = open_stores("s3://bucket/prefix", "dynamodb:table", region=sys.argv[1]) is stores
seen["one_client"] = stores.metadata.client is client
print(json.dumps(seen))
"""


def test_stores_make_no_client_until_one_is_used_and_then_one_per_service(tmp_path):
    out = subprocess.run([sys.executable, "-c", _PROBE, REGION], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "k",
                                            "AWS_SECRET_ACCESS_KEY": "s", **_pythonpath()})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        "opened": False,  # opening the stores imports neither boto3 nor botocore
        "dynamodb_made": True,
        "s3_made": False,  # the datastore was not used: no S3 client
        "same_stores": True,
        "one_client": True,
    }


def _pythonpath() -> dict:
    import sfncompile

    root = os.path.dirname(os.path.dirname(os.path.abspath(sfncompile.__file__)))
    return {"PYTHONPATH": root}
