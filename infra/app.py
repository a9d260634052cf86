#!/usr/bin/env python3
"""CDK entry point: one ``sfncompile-<stage>`` stack, checked by cdk-nag's AWS Solutions pack.

    cdk deploy -c stage=dev            # run from this directory; see README.md for every -c option
"""
from __future__ import annotations

import sys
from pathlib import Path

from aws_cdk import App

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sfncompile_infra import SfnCompileStack, settings_from_context  # noqa: E402
from sfncompile_infra.nag import add_checks  # noqa: E402


def main() -> None:
    app = App()
    SfnCompileStack(app, settings=settings_from_context(app.node.try_get_context))
    add_checks(app)
    app.synth()


if __name__ == "__main__":
    main()
