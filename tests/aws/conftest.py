"""Shared fixtures of the emulated-AWS tests that call sfncompile.aws in-process."""
from __future__ import annotations

from typing import Any, Dict

import pytest


@pytest.fixture
def aws_config(aws_config_file, aws_environ, moto_aws) -> Dict[str, Any]:
    """The emulated stack's sfncompile config, with fresh boto3 clients and stores for this test.

    Each test gets a new emulated bucket, so the stores' memory of objects already written
    (valid on S3, where nothing written is ever removed) must not carry over from the last test."""
    from sfncompile.aws import config as cfg
    from sfncompile.aws.session import reset_clients
    from sfncompile.storage.factory import reset_stores

    reset_clients()
    reset_stores()
    return cfg.load_config()
