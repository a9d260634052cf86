"""Shared fixtures of the emulated-AWS tests that call sfncompile.aws in-process."""
from __future__ import annotations

from typing import Any, Dict

import pytest

@pytest.fixture
def aws_config(aws_config_file, aws_environ, moto_aws) -> Dict[str, Any]:
    """The emulated stack's sfncompile config, with fresh boto3 clients for this test."""
    from sfncompile.aws import config as cfg
    from sfncompile.aws.session import reset_clients

    reset_clients()
    return cfg.load_config()
