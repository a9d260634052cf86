"""The local CLI as users run it (real subprocesses): run, resume, runs, show, logs, dump, task."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")
LOCAL_FLOWS = os.path.join(ROOT, "tests", "local", "flows")
SFN = [sys.executable, "-m", "sfncompile"]


def sfn(*args, check=True, env=None, cwd=None):
    proc = subprocess.run([*SFN, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def run_id_of(text, flow):
    m = re.search(rf"Run {flow}/(\S+) (SUCCEEDED|FAILED)", text)
    assert m, text
    return m.group(1)


def _reset_client():
    from sfncompile.client import backend

    backend.reset()


def test_run_output_format():
    proc = sfn("run", os.path.join(EXAMPLES, "hello.py"))
    out = proc.stdout
    run_id = run_id_of(out, "HelloFlow")
    for step in ("start", "hello", "end"):
        assert re.search(rf"^\d\d:\d\d:\d\d\.\d{{3}} \[HelloFlow/{run_id}/{step}/0\] task started$", out, re.M), out
        assert re.search(
            rf"^\d\d:\d\d:\d\d\.\d{{3}} \[HelloFlow/{run_id}/{step}/0\] task finished \(\d+ ms\)$", out, re.M
        ), out
    assert f"[HelloFlow/{run_id}/hello/0] hello from HelloFlow/{run_id}/hello/0\n" in out
    assert f"[HelloFlow/{run_id}/end/0] hello, world\n" in out
    assert re.search(rf"^Run HelloFlow/{run_id} SUCCEEDED in \d+ ms \(3 tasks\)\.$", out, re.M)
    assert f"sfncompile show HelloFlow/{run_id}" in out
    assert f"Run(\"HelloFlow/{run_id}\").data" in out
    # run ids sort by time and are unique
    assert re.fullmatch(r"\d{17}-[0-9a-f]{4}", run_id)


def test_run_help_lists_parameters():
    proc = sfn("run", os.path.join(EXAMPLES, "parameters.py"), "--help")
    out = proc.stdout
    assert re.search(r"--alpha FLOAT\s+learning rate \[default: 0.1\]", out), out
    assert re.search(r"--epochs INTEGER\s+training epochs \[default: 2\]", out), out
    assert re.search(r"--label TEXT\s+a name for this run \[required\]", out), out
    assert "--grid JSON" in out and "--notes PATH" in out
    assert "--max-workers" in out and "--tag" in out


def test_run_typed_parameters_and_errors(tmp_path):
    proc = sfn("run", os.path.join(EXAMPLES, "parameters.py"), "--label", "x", "--epochs", "5", "--verbose",
               "--grid", '{"a": 1}', "--tag", "t1", "--tag", "t2")
    run_id = run_id_of(proc.stdout, "ParametersFlow")
    _reset_client()
    from sfncompile import Run

    run = Run(f"ParametersFlow/{run_id}")
    assert run.data.summary["epochs"] == 5 and run.data.summary["verbose"] is True
    assert run.data.summary["grid"] == {"a": 1}
    assert run.user_tags == {"t1", "t2"}
    bad = sfn("run", os.path.join(EXAMPLES, "parameters.py"), "--label", "x", "--epochs", "two", check=False)
    assert bad.returncode == 1
    assert "parameter error: parameter 'epochs': value 'two' is not a valid int" in bad.stderr
    missing = sfn("run", os.path.join(EXAMPLES, "parameters.py"), check=False)
    assert missing.returncode == 1 and "parameter 'label' is required" in missing.stderr
    unknown = sfn("run", os.path.join(EXAMPLES, "parameters.py"), "--label", "x", "--nope", "1", check=False)
    # click 8.1 (the last for Python 3.9) writes "No such option: --nope", later ones "No such option '--nope'".
    assert unknown.returncode == 2 and re.search(r"No such option:? '?--nope", unknown.stderr)


def test_python_flow_file_run():
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, "train.py"), "run", "--alpha", "0.3"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    run_id = run_id_of(proc.stdout, "TrainFlow")
    _reset_client()
    from sfncompile import Run

    assert Run(f"TrainFlow/{run_id}").data.best == pytest.approx(0.9)


def test_failed_run_exit_code_traceback_once_and_resume(tmp_path):
    flow = os.path.join(LOCAL_FLOWS, "resume_flow.py")
    env = dict(os.environ, RESUME_FLOW_FAIL="1", RESUME_FLOW_COUNTER=str(tmp_path / "count"))
    proc = sfn("run", flow, check=False, env=env)
    assert proc.returncode == 1
    run_id = run_id_of(proc.stdout, "ResumeFlow")
    assert proc.stdout.count("RuntimeError: injected failure") == 1
    assert f"[ResumeFlow/{run_id}/train/0] task FAILED (attempt 0" in proc.stdout
    assert f"[ResumeFlow/{run_id}/train/0] Traceback (most recent call last):" in proc.stdout
    assert "resume_flow.py\", line" in proc.stdout
    assert "sfncompile resume" in proc.stdout and f"--origin-run-id {run_id}" in proc.stdout
    env.pop("RESUME_FLOW_FAIL")
    resumed = sfn("resume", flow, env=env)
    new_id = run_id_of(resumed.stdout, "ResumeFlow")
    assert new_id != run_id
    assert f"reused from ResumeFlow/{run_id}/square/2" in resumed.stdout
    assert sorted((tmp_path / "count").read_text().split()).count("square/0") == 1


def test_runs_show_logs_dump():
    proc = sfn("run", os.path.join(EXAMPLES, "foreach.py"), "--width", "3")
    run_id = run_id_of(proc.stdout, "ForeachFlow")
    runs = sfn("runs", "ForeachFlow").stdout
    assert re.search(rf"^{run_id}\s+SUCCEEDED\s+\d{{4}}-", runs, re.M), runs
    show = sfn("show", f"ForeachFlow/{run_id}").stdout
    assert f"Run ForeachFlow/{run_id}: SUCCEEDED" in show
    assert re.search(r"^square\s+3\s+3\s+0\s+0\s+0\s+-\s+\d+ ms$", show, re.M), show  # tasks done failed running lost
    assert "parameters: width=3" in show
    logs = sfn("logs", f"ForeachFlow/{run_id}/end/0").stdout
    assert logs == "squares: [0, 1, 4]\n"
    assert sfn("logs", f"ForeachFlow/{run_id}/end/0", "--stderr").stdout == ""
    dump = sfn("dump", f"ForeachFlow/{run_id}/join/0").stdout
    assert "squares (list," in dump and "= [0, 1, 4]" in dump
    assert sfn("dump", f"ForeachFlow/{run_id}/square/2", "--artifact", "value").stdout == "4\n"
    # unknown names: one clear message, exit 1
    for args, message in [
        (("runs", "NoFlow"), "flow 'NoFlow' has no runs"),
        (("show", "ForeachFlow/nope"), "run ForeachFlow/nope does not exist"),
        (("logs", f"ForeachFlow/{run_id}/nostep/0"), "has no step 'nostep'"),
        (("logs", f"ForeachFlow/{run_id}/square/9"), "has no task '9'"),
        (("dump", f"ForeachFlow/{run_id}/square/0", "-a", "nope"), "has no artifact 'nope'"),
        (("logs", f"ForeachFlow/{run_id}/square/0", "--attempt", "3"), "has no attempt 3"),
    ]:
        bad = sfn(*args, check=False)
        assert bad.returncode == 1, (args, bad.stdout, bad.stderr)
        assert message in bad.stderr, (args, bad.stderr)
        assert "Traceback" not in bad.stderr


def _children(pid):
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except FileNotFoundError:  # pragma: no cover
        return []
    return [int(p) for p in out.split()]


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_ctrl_c_stops_workers_and_fails_the_run():
    proc = subprocess.Popen([*SFN, "run", os.path.join(LOCAL_FLOWS, "sleepy_flow.py")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    deadline = time.time() + 30
    while time.time() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "sleeping now" in line:
            break
    assert "sleeping now" in lines[-1], lines
    workers = _children(proc.pid)
    assert workers
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    text = "".join(lines) + out
    assert proc.returncode == 130, (text, err)
    run_id = run_id_of(text, "SleepyFlow")
    assert "interrupted" in text
    time.sleep(0.2)
    assert not [w for w in workers if _alive(w)]
    _reset_client()
    from sfncompile import Run

    run = Run(f"SleepyFlow/{run_id}")
    assert run.status == "FAILED"
    assert run["sleep"].task.status == "FAILED"
    assert run["start"].task.data.value == "a"  # finished tasks stay readable


def test_concurrent_runs_do_not_clash():
    flow = os.path.join(LOCAL_FLOWS, "sleepy_flow.py")
    procs = [
        subprocess.Popen([*SFN, "run", flow, "--seconds", "0.5", "--tag_value", v],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for v in ("one", "two")
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    ids = [run_id_of(o, "SleepyFlow") for o, _ in outs]
    assert ids[0] != ids[1]
    _reset_client()
    from sfncompile import Run

    assert sorted(Run(f"SleepyFlow/{i}").data.final for i in ids) == ["one:0.5", "two:0.5"]


def test_task_command_runs_a_flow_task_by_task():
    """What Step Functions does: one `sfncompile task` per task, state carried only by ids."""
    flow = os.path.join(EXAMPLES, "foreach.py")
    env = dict(os.environ, SFNCOMPILE_FLOW_FILE=flow)
    run_id = "sfn-manual-1"

    def task(step, task_id, *extra):
        return sfn("task", step, "--run-id", run_id, "--task-id", task_id, "--attempt", "0", *extra, env=env,
                   check=False)

    start = task("start", "0", "--params-json", json.dumps({"parameters": {"width": 3}}))
    assert start.returncode == 0, start.stderr
    assert "[ForeachFlow/sfn-manual-1/start/0]" not in start.stderr
    for i in range(3):
        assert task("square", str(i)).returncode == 0
    assert task("join", "0").returncode == 0
    end = task("end", "0")
    assert end.returncode == 0
    assert "[ForeachFlow/sfn-manual-1/end/0] squares: [0, 1, 4]" in end.stdout
    _reset_client()
    from sfncompile import Run

    run = Run(f"ForeachFlow/{run_id}")
    assert run.status == "SUCCEEDED"  # written by the end task itself
    assert run.data.squares == [0, 1, 4]
    assert run["start"].task.cardinality == 3
    root = os.environ["SFNCOMPILE_ROOT"]
    with open(os.path.join(root, "ForeachFlow", "runs", run_id, "start", "0", "foreach.json")) as fh:
        assert json.load(fh) == [0, 1, 2]
    # a join whose inputs are missing fails clearly (exit 1)
    bad = sfn("task", "join", "--run-id", "sfn-manual-2", "--task-id", "0", env=env, check=False)
    assert bad.returncode == 1
    assert "run ForeachFlow/sfn-manual-2 does not exist" in bad.stderr


def test_command_closes_its_stores_and_freezes_objects_before_shutdown():
    """The interpreter's shutdown must not collect over every object a `run` imported (0.1-0.2 s):
    by the time exit handlers run the objects are frozen, and the SQLite store was closed by the
    command itself (its write-ahead log checkpointed and removed), not left to the collector."""
    wal = os.path.join(os.environ["SFNCOMPILE_ROOT"], "metadata.sqlite-wal")
    script = (
        "import atexit, gc, os, sys\n"
        "from sfncompile.cli import main\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0, 'wal', os.path.exists(sys.argv[1])))\n"
        "main(['run', sys.argv[2], '--quiet'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, wal, os.path.join(EXAMPLES, "hello.py")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "frozen True wal False", proc.stdout
    assert re.search(r"^HelloFlow/\S+ SUCCEEDED$", proc.stdout, re.M), proc.stdout


def test_run_freezes_what_it_loaded_before_the_first_fork(monkeypatch):
    """`run` freezes the objects its imports and the flow made before the scheduler forks: the
    template forked from it then has nothing to collect before its first task."""
    import gc

    from click.testing import CliRunner

    from sfncompile.cli.main import cli
    from sfncompile.local.scheduler import LocalRunner

    seen = []
    real_run = LocalRunner.run

    def run(self):
        seen.append(gc.get_freeze_count())
        return real_run(self)

    monkeypatch.setattr(LocalRunner, "run", run)
    gc.unfreeze()
    try:
        result = CliRunner().invoke(cli, ["run", os.path.join(EXAMPLES, "hello.py"), "--quiet"])
    finally:
        gc.unfreeze()
    assert result.exit_code == 0, result.output
    assert len(seen) == 1 and seen[0] > 0, seen


def test_task_processes_start_with_the_storage_codecs_imported(tmp_path):
    """The template imports what every task storing an artifact uses (zstandard costs 5-15 ms)."""
    flow = tmp_path / "codecs_flow.py"
    flow.write_text(
        "import sys\n"
        "from sfncompile import FlowSpec, step\n\n\n"
        "class CodecsFlow(FlowSpec):\n"
        "    @step\n"
        "    def start(self):\n"
        "        self.imported = sorted(m for m in ('xxhash', 'zstandard') if m in sys.modules)\n"
        "        self.next(self.end)\n\n"
        "    @step\n"
        "    def end(self):\n"
        "        pass\n"
    )
    sfn("run", str(flow), "--quiet", cwd=str(tmp_path))
    from sfncompile import Flow, namespace

    _reset_client()
    namespace(None)
    assert Flow("CodecsFlow").latest_run["start"].task.data.imported == ["xxhash", "zstandard"]


def test_a_run_without_batch_steps_imports_nothing_of_the_job_executor():
    """Every local run asks which steps go to AWS Batch; only a run that has some imports the executor,
    the job loop and the compiler's job parameters behind them (~40 ms of a run's start)."""
    script = (
        "import atexit, sys\n"
        "from sfncompile.cli import main\n"
        "WATCHED = ('sfncompile.hybrid.executor', 'sfncompile.hybrid.jobs', 'sfncompile.hybrid.plan', 'sfncompile.compiler')\n"
        "atexit.register(lambda: print('imported', sorted(m for m in WATCHED if m in sys.modules)))\n"
        "main(['run', sys.argv[1], '--quiet'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, os.path.join(EXAMPLES, "hello.py")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "imported []", proc.stdout
