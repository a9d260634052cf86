"""One in-process CDK synthesis per test session, shared by the infra tests.

Every configuration the tests look at becomes its own stage stack in a single
``App``, registered with the same cdk-nag checks as ``infra/app.py``, so the whole
app (and its validation plugins) synthesizes once. No AWS call, no ``cdk`` CLI.
"""
from __future__ import annotations

from typing import Iterator

import pytest

# synth_helpers goes first: it puts infra/ on sys.path and quiets the jsii runtime.
from .synth_helpers import CONFIGURATIONS, Synthesis, committed_context, layered  # isort: skip

from aws_cdk import App
from aws_cdk.assertions import Template
from sfncompile_infra import SfnCompileStack, settings_from_context
from sfncompile_infra.nag import add_checks


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesis]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = App(context=committed_context(), outdir=str(outdir))
    stacks = {
        stage: SfnCompileStack(app, settings=settings_from_context(layered(app, overrides), environ={}))
        for stage, overrides in CONFIGURATIONS.items()
    }
    add_checks(app)
    # Template.from_stack synthesizes the app, which runs the cdk-nag plugin: an
    # unacknowledged finding fails here, before any test looks at a template.
    templates = {stage: Template.from_stack(stack) for stage, stack in stacks.items()}
    yield Synthesis(app=app, outdir=outdir, stacks=stacks, templates=templates)
