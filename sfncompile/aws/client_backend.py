"""The client's backend for Step Functions runs: S3 + DynamoDB named by the AWS config.

`sfncompile.client` calls ``open_backend()`` when it meets a run id starting with
``sfn-`` or lists a flow's runs; without a config file it returns None and the
client shows local runs only.
"""
from __future__ import annotations

from typing import Optional


def open_backend() -> Optional["object"]:
    from ..client.backend import Backend
    from . import config as cfg

    config = cfg.load_config(required=False)
    if config is None:
        return None
    return Backend(cfg.stores(config), "aws")
