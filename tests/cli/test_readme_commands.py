"""README's "On AWS" commands work when pasted: every option exists, every path and context too.

Nothing is deployed: each `sfncompile` line is parsed by the real command-line
group (click's own parser, no command runs), `trigger`'s parameters are checked
against the flow that the `deploy` line deploys, and `cdk -c` contexts against
infra/cdk.json.
"""
from __future__ import annotations

import json
import os
import re
import shlex
from typing import List

import click

from sfncompile.cli import cli
from sfncompile.graph import build_graph
from sfncompile.graph.loader import load_flow_class

from ..conftest import ROOT


def _on_aws_lines() -> List[List[str]]:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    section = readme.split("## On AWS", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block, "README's On AWS section must hold a bash block"
    return [shlex.split(line, comments=True) for line in block.group(1).splitlines() if line.strip()]


def _parse(words: List[str]) -> click.Context:
    """The context click builds for ``sfncompile WORDS`` (raises on an unknown command or option)."""
    group_ctx = click.Context(cli, info_name="sfncompile")
    command = cli.get_command(group_ctx, words[0])
    assert command is not None, f"sfncompile has no command {words[0]!r}"
    return command.make_context(words[0], list(words[1:]), parent=group_ctx)


def test_readme_sfncompile_commands_parse_with_the_real_cli() -> None:
    lines = [words for words in _on_aws_lines() if words and words[0] == "sfncompile"]
    assert [words[1] for words in lines] == ["configure", "deploy", "trigger"]
    deployed = None
    for words in lines:
        ctx = _parse(words[1:])
        if words[1] == "deploy":
            deployed = os.path.join(ROOT, ctx.params["flow_file"])
            assert os.path.exists(deployed), f"README deploys {ctx.params['flow_file']}, which does not exist"
        if words[1] == "trigger":
            assert deployed, "README triggers a flow before deploying one"
            graph = build_graph(load_flow_class(deployed))
            assert ctx.params["flow"] == graph.name
            given = [arg[2:].split("=", 1)[0] for arg in ctx.args if arg.startswith("--")]
            declared = {p.name for p in graph.parameters}
            assert given and set(given) <= declared, f"{given} are not all parameters of {graph.name}: {declared}"


def test_readme_cdk_contexts_exist_and_commands_run_from_the_right_directory() -> None:
    with open(os.path.join(ROOT, "infra", "cdk.json"), encoding="utf-8") as fh:
        contexts = set(json.load(fh)["context"])
    lines = _on_aws_lines()
    cdk_deploys = [words for words in lines if "deploy" in words and "cdk" in words]
    assert cdk_deploys, "README must show the cdk deploy"
    for words in cdk_deploys:
        assert words[:2] == ["(cd", "infra"], "cdk runs in infra/, in a subshell, so the next lines run from the root"
        for i, word in enumerate(words):
            if word == "-c":
                assert words[i + 1].split("=", 1)[0] in contexts
