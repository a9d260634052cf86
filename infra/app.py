#!/usr/bin/env python3
"""CDK entry point: one ``sfncompile-<stage>`` stack, checked by cdk-nag's AWS Solutions pack.

    cdk deploy -c stage=dev            # from this directory
"""
from __future__ import annotations

import sys
from pathlib import Path

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sfncompile_infra import SfnCompileStack, settings_from_context  # noqa: E402


def build(app: App) -> SfnCompileStack:
    """Add the stage's stack to ``app`` and register the cdk-nag checks on it."""
    stack = SfnCompileStack(app, settings=settings_from_context(app.node.try_get_context))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


if __name__ == "__main__":
    application = App()
    build(application)
    application.synth()
