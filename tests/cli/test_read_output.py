"""Read commands: --json everywhere, attempt numbers that `logs --attempt` accepts, one-line AWS errors."""
from __future__ import annotations

import json
import os
import re

from .test_local_cli import EXAMPLES, LOCAL_FLOWS, run_id_of, sfn


def test_json_on_read_commands():
    run_id = run_id_of(sfn("run", os.path.join(EXAMPLES, "hello.py"), "--tag", "x").stdout, "HelloFlow")
    runs = json.loads(sfn("runs", "HelloFlow", "--json").stdout)
    assert [r["run_id"] for r in runs] == [run_id] and runs[0]["status"] == "SUCCEEDED"
    assert runs[0]["user_tags"] == ["x"] and "runtime:local" in runs[0]["system_tags"]
    shown = json.loads(sfn("show", f"HelloFlow/{run_id}", "--json").stdout)
    assert [s["step"] for s in shown["steps"]] == ["start", "hello", "end"] and shown["steps"][0]["done"] == "1"
    logs = json.loads(sfn("logs", f"HelloFlow/{run_id}/hello/0", "--json").stdout)
    assert logs == [{"pathspec": f"HelloFlow/{run_id}/hello/0", "stream": "stdout", "attempt": 0,
                     "text": f"hello from HelloFlow/{run_id}/hello/0\n"}]
    dumped = json.loads(sfn("dump", f"HelloFlow/{run_id}/hello/0", "--json").stdout)
    assert dumped[0]["artifacts"]["message"]["value"] == "hello, world"
    graph = json.loads(sfn("show", os.path.join(EXAMPLES, "hello.py"), "--json").stdout)
    assert [s["name"] for s in graph["steps"]] == ["start", "hello", "end"]
    assert json.loads(sfn("check", os.path.join(EXAMPLES, "hello.py"), "--json").stdout)["ok"] is True
    assert "RUN" in sfn("runs", "HelloFlow").stdout.splitlines()[0]  # text output unchanged


def test_attempt_number_shown_is_the_one_logs_accepts():
    proc = sfn("run", os.path.join(LOCAL_FLOWS, "retry_flow.py"))
    run_id = run_id_of(proc.stdout, "RetryFlow")
    shown = re.search(r"\[RetryFlow/\S+/flaky/0\] attempt (\d+) failed", proc.stdout)
    assert shown and shown.group(1) == "0", proc.stdout
    assert sfn("logs", f"RetryFlow/{run_id}/flaky/0", "--attempt", shown.group(1)).stdout == "attempt 0\n"
    assert "task started (attempt 1)" in proc.stdout


def test_aws_errors_name_the_fix(tmp_path):
    from botocore.exceptions import ClientError, NoRegionError, SSOTokenLoadError

    from sfncompile.aws.errors import describe

    region = describe(NoRegionError(), "deploy").render()
    assert "--region" in region and "AWS_REGION" in region
    assert "aws sso login" in describe(SSOTokenLoadError(error_msg="expired"), "deploy").render()
    expired = ClientError({"Error": {"Code": "ExpiredTokenException", "Message": "expired"}}, "ListStateMachines")
    assert "aws sso login" in describe(expired, "list").render()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
               AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y")
    proc = sfn("configure", "--stack", "s", env=env, check=False)
    assert proc.returncode == 1 and "no AWS region" in proc.stderr and "AWS_REGION" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 2


def test_read_commands_say_which_store_and_create_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SFNCOMPILE_ROOT"}
    project = tmp_path / "proj"
    (project / "sub").mkdir(parents=True)
    run_id = run_id_of(sfn("run", os.path.join(EXAMPLES, "hello.py"), env=env, cwd=str(project)).stdout, "HelloFlow")
    listed = sfn("runs", "HelloFlow", env=env, cwd=str(project / "sub"))
    assert run_id in listed.stdout and f"read from artifacts in {project / '.sfncompile'}" in listed.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = sfn("runs", "HelloFlow", env=env, cwd=str(empty), check=False)
    assert missing.returncode == 1 and f"has no runs in artifacts in {empty / '.sfncompile'}" in missing.stderr
    assert os.listdir(empty) == []


def test_no_color_means_no_escape_sequences(monkeypatch):
    import io

    from sfncompile.local.output import Reporter

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert Reporter(Terminal()).tty
    monkeypatch.setenv("NO_COLOR", "1")
    out = Terminal()
    reporter = Reporter(out)
    reporter.expect_wide("fit", 3)
    reporter.task_started("F/1/fit/0", "fit", 0)
    reporter.draw_progress(force=True)
    reporter.line("done")
    assert not reporter.tty and "\x1b" not in out.getvalue()


def test_metaflow_exception_names():
    import sfncompile.exception as exception
    from sfncompile.exceptions import NotFoundError, SfnCompileError

    assert all(hasattr(exception, name) for name in exception.__all__)
    assert exception.MetaflowException is exception.SfncompileException is SfnCompileError
    assert issubclass(exception.MetaflowNamespaceMismatch, exception.MetaflowNotFound)
    try:
        raise NotFoundError("no such run")
    except exception.MetaflowException as caught:
        assert "no such run" in str(caught)
