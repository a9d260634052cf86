"""The client's backend for Step Functions runs: S3 + DynamoDB named by the AWS config.

`sfncompile.client` calls ``open_backend()`` when it meets a run id starting with
``sfn-`` or lists a flow's runs; without a config file it returns None and the
client shows local runs only. A Step Functions run's status is reconciled with its
execution's (``reconcile.py``): the record alone can say RUNNING for a run whose
execution has ended.
"""
from __future__ import annotations

from typing import Optional


def open_backend() -> Optional["object"]:
    import dataclasses

    from ..client.backend import Backend
    from . import config as cfg
    from .reconcile import ReconciledMetadata

    config = cfg.load_config(required=False)
    if config is None:
        return None
    stores = cfg.stores(config)
    return Backend(dataclasses.replace(stores, metadata=ReconciledMetadata(stores.metadata, config)), "aws")
