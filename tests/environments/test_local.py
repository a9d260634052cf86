"""@pypi / @pypi_base / @conda / requirements.txt on a laptop: resolved with uv, built once, used per step."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from sfncompile.cli.main import cli
from sfncompile.client import backend as client_backend
from sfncompile.graph import build_graph
from sfncompile.graph.loader import load_flow_class
from sfncompile.local.output import Reporter
from sfncompile.local.scheduler import LocalRunner

from .conftest import flow_file


def _run(path: str):
    client_backend.reset()
    flow_cls = load_flow_class(path)
    out = io.StringIO()
    runner = LocalRunner(flow_cls, build_graph(flow_cls), max_workers=2, reporter=Reporter(out, tty=False))
    runner.prepare()
    outcome = runner.run()
    assert outcome.ok, out.getvalue()
    from sfncompile import Run, namespace

    namespace(None)
    return Run(f"{outcome.flow}/{outcome.run_id}"), out.getvalue()


def _check(*args: str):
    return CliRunner().invoke(cli, ["check", *args])


def test_each_step_sees_its_own_versions_and_a_second_run_builds_nothing(env_cache):
    run, printed = _run(flow_file("versions", "versions.py"))
    seen = run["join"].task.data.by_step
    assert seen["base"]["idna"] == "3.6"             # @pypi_base
    assert seen["new"]["idna"] == "3.7"              # @pypi overrides the base
    assert seen["conda_spelling"]["idna"] == "3.5"   # @conda, resolved from PyPI
    assert run["start"].task.data.start_seen["idna"] == "3.6"
    envs = os.path.join(env_cache, "envs")
    for step in ("base", "new", "conda_spelling"):
        assert seen[step]["prefix"].startswith(envs), seen[step]
    assert len({seen[s]["prefix"] for s in ("base", "new", "conda_spelling")}) == 3
    assert seen["plain"]["prefix"] == sys.prefix      # @pypi(disabled=True): the forked path
    # The first build said so; once cached, nothing about environments is printed.
    if "building environment" in printed:
        assert "ready in" in printed
    _, again = _run(flow_file("versions", "versions.py"))
    assert "environment" not in again, again


def test_requirements_txt_beside_the_flow_is_the_base_and_check_says_so():
    result = _check(flow_file("requirements", "reqflow.py"))
    assert result.exit_code == 0, result.output
    assert "base environment: requirements.txt beside the flow" in result.output
    run, _ = _run(flow_file("requirements", "reqflow.py"))
    assert run["start"].task.data.base_version == "3.6"
    assert run["end"].task.data.end_version == "3.7"


def test_check_environments_prints_both_locks_with_hashes():
    result = _check(flow_file("requirements", "reqflow.py"), "--environments")
    assert result.exit_code == 0, result.output
    assert "(local)" in result.output and "(image)" in result.output
    assert "x86_64-manylinux_2_28" in result.output
    assert "idna==3.6 \\" in result.output and "--hash=sha256:" in result.output


def _write_flow(tmp_path, decorator: str) -> str:
    path = tmp_path / "broken.py"
    path.write_text(textwrap.dedent(f"""
        from sfncompile import FlowSpec, conda, pypi, step


        class BrokenFlow(FlowSpec):
            @step
            def start(self):
                self.next(self.end)

            {decorator}
            @step
            def end(self):
                pass
    """))
    return str(path)


@pytest.mark.parametrize("decorator, expected", [
    ('@pypi(packages={"sfncompile-no-such-package-zz": "1.0"})',
     "step 'end'): package 'sfncompile-no-such-package-zz' is not on PyPI"),
    ('@conda(libraries={"sfncompile-conda-only-lib-zz": ""})',
     "@conda library 'sfncompile-conda-only-lib-zz' is not on PyPI (sfncompile resolves @conda libraries from PyPI)"),
    ('@pypi(packages={"docopt": "0.6.2"})',
     "package 'docopt' publishes no binary wheel for x86_64-manylinux_2_28 / Python 3.11"),
    ('@pypi(packages={"idna": "3.7"}, python="3.99")',
     "python='3.99' but there is no working python3.99 on PATH"),
])
def test_check_rejects_what_cannot_be_built_with_one_clear_message(tmp_path, decorator, expected):
    result = _check(_write_flow(tmp_path, decorator))
    assert result.exit_code == 1
    assert result.output.startswith("environment error: "), result.output
    assert expected in result.output, result.output
    assert "broken.py:" in result.output and "fix:" in result.output


def test_python_must_be_the_image_python_for_batch(tmp_path, monkeypatch):
    host = f"{sys.version_info[0]}.{sys.version_info[1]}"
    config = {"region": "us-east-1", "bucket": "bucket-x", "table": "t", "job_queue": "q", "job_definition": "d",
              "state_machine_role_arn": "arn:aws:iam::123456789012:role/r", "image_python": "3.99"}
    path = tmp_path / "config.json"
    path.write_text(__import__("json").dumps(config))
    monkeypatch.setenv("SFNCOMPILE_CONFIG", str(path))
    result = _check(_write_flow(tmp_path, f'@pypi(packages={{"idna": "3.7"}}, python="{host}")'))
    assert result.exit_code == 1
    assert f"python='{host}' but the runtime image runs Python 3.99, so it cannot run on Batch" in result.output


def _other_python() -> str:
    """A Python other than this one that really runs (pyenv keeps several on this machine kind)."""
    import glob

    for found in sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[0-3].*/bin"))):
        version = os.path.basename(os.path.dirname(os.path.dirname(found + "/")))
        if not version.startswith(f"{sys.version_info[0]}.{sys.version_info[1]}."):
            return found
    pytest.fail("this test needs a second Python 3.10+ (pyenv's versions under ~/.pyenv/versions)")


@pytest.mark.slow
def test_a_step_runs_on_another_python_found_on_path(tmp_path, monkeypatch):
    bin_dir = _other_python()
    version = ".".join(os.path.basename(os.path.dirname(bin_dir)).split(".")[:2])
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    path = tmp_path / "otherpy.py"
    path.write_text(textwrap.dedent(f"""
        import sys
        from sfncompile import FlowSpec, pypi, step


        class OtherPythonFlow(FlowSpec):
            @pypi(packages={{"idna": "3.7"}}, python="{version}")
            @step
            def start(self):
                import idna
                self.seen = ("%d.%d" % sys.version_info[:2], idna.__version__)
                self.next(self.end)

            @step
            def end(self):
                pass
    """))
    run, _ = _run(str(path))
    assert run["start"].task.data.seen == (version, "3.7")


def test_conda_library_error_suggests_the_pypi_name(tmp_path):
    from sfncompile.environments.lock import CONDA_TO_PYPI

    assert CONDA_TO_PYPI["pytorch"] == "torch"
    result = _check(_write_flow(tmp_path, '@conda(libraries={"sfncompile-conda-only-lib-zz": ""})'))
    assert "use @pypi(packages=" in result.output


def test_a_run_with_an_impossible_environment_stops_before_anything_runs(tmp_path):
    path = _write_flow(tmp_path, '@pypi(packages={"sfncompile-no-such-package-zz": "1.0"})')
    client_backend.reset()
    flow_cls = load_flow_class(path)
    runner = LocalRunner(flow_cls, build_graph(flow_cls), reporter=Reporter(io.StringIO(), tty=False))
    from sfncompile.exceptions import EnvironmentSpecError

    with pytest.raises(EnvironmentSpecError):
        runner.prepare()
    assert runner.stores.metadata.list_runs("BrokenFlow") == []


def test_decorators_validate_their_arguments():
    from sfncompile import pypi, pypi_base, step
    from sfncompile.exceptions import FlowDefinitionError

    def a_step():
        @step
        def end(self):
            pass

        return end

    with pytest.raises(FlowDefinitionError, match="must be a 'major.minor' string"):
        pypi(packages={"idna": "3.7"}, python=3.11)(a_step())
    with pytest.raises(FlowDefinitionError, match="unknown argument"):
        pypi(libraries={"idna": "3.7"})
    with pytest.raises(FlowDefinitionError, match="is not a package name"):
        pypi(packages={"idna; os.system('x')": "1"})(a_step())
    with pytest.raises(FlowDefinitionError, match="flow decorator"):
        pypi_base(packages={"idna": "3.7"})(a_step())


def test_sfncompile_is_importable_in_an_environment_without_being_installed_there():
    run, _ = _run(flow_file("requirements", "reqflow.py"))
    from sfncompile.environments.lock import LOCAL, resolve_flow
    from sfncompile.environments.overlay import site_packages
    from sfncompile.environments.venv import env_path, env_python

    lock = resolve_flow(build_graph(load_flow_class(flow_file("requirements", "reqflow.py"))))["start"][LOCAL]
    env = env_path(lock.env_id)
    installed = {name.split("-")[0].lower() for name in os.listdir(site_packages(env)) if name.endswith(".dist-info")}
    assert installed == {"idna"}  # the lock's packages only: nothing of sfncompile's was downloaded or installed
    import subprocess

    import sfncompile

    out = subprocess.run([env_python(env), "-c", "import sfncompile, boto3, idna; print(sfncompile.__file__, idna.__version__)"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    where, version = out.stdout.split()
    assert os.path.realpath(where) == os.path.realpath(sfncompile.__file__) and version == "3.6"


def test_a_task_whose_environment_was_never_deployed_says_to_deploy(tmp_path):
    from sfncompile.environments import bootstrap
    from sfncompile.exceptions import EnvironmentSpecError
    from sfncompile.storage.factory import open_object_store

    objects = open_object_store(f"local:{tmp_path}")
    with pytest.raises(EnvironmentSpecError, match=r"environment 0123456789ab is not in the datastore") as caught:
        bootstrap.prepare(objects, "0123456789ab" * 5 + "0123", lambda m: None)
    assert "sfncompile deploy" in caught.value.render()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie not reaped yet is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_each_environment_task_runs_in_a_fresh_process_group_of_its_interpreter(env_cache):
    run, printed = _run(flow_file("env_isolation.py"))
    seen = run["join"].task.data.seen_all
    assert len({s["pid"] for s in seen}) == 2                    # one process per task, never reused
    assert all(s["pgid"] == s["pid"] for s in seen)              # each leads its own process group
    # ... forked from one template of the environment's interpreter (one interpreter start per run, not per task)
    assert len({s["parent"] for s in seen}) == 1 and seen[0]["parent"] != os.getpid()
    assert all(s["prefix"].startswith(os.path.join(env_cache, "envs")) for s in seen)
    assert all(s["left_behind"] is None for s in seen)           # no task sees another's changes
    assert not any(_alive(pid) for pid in run["join"].task.data.orphans)  # the group died with the task
    logs = "".join(t.stdout for t in run["work"].tasks())
    assert "env task 0" in logs and "env task 1" in logs         # captured into each task's log


def test_an_environment_task_over_its_timeout_is_killed(env_cache):
    client_backend.reset()
    flow_cls = load_flow_class(flow_file("env_timeout.py"))
    out = io.StringIO()
    runner = LocalRunner(flow_cls, build_graph(flow_cls), max_workers=2, reporter=Reporter(out, tty=False))
    runner.prepare()
    outcome = runner.run()
    assert not outcome.ok
    # The step blocks the in-task alarm: the scheduler kills the task's process group itself.
    assert "ran longer than its @timeout of 1 s and was killed" in out.getvalue(), out.getvalue()


def test_environment_local_runs_every_step_in_this_interpreter(tmp_path):
    # An environment that cannot be built (no python3.99) stops a plain run before it is
    # recorded; `--environment local` skips environments altogether and says so.
    path = _write_flow(tmp_path, '@pypi(packages={"idna": "3.7"}, python="3.99")')
    plain = CliRunner().invoke(cli, ["run", path])
    assert plain.exit_code == 1 and "no working python3.99 on PATH" in plain.output, plain.output
    local = CliRunner().invoke(cli, ["run", path, "--environment", "local"])
    assert local.exit_code == 0, local.output
    assert "environments: ignored (--environment local): every step runs in this interpreter" in local.output
    assert "SUCCEEDED" in local.output
    accepted = CliRunner().invoke(cli, ["run", path, "--environment", "pypi"])  # Metaflow's spelling: the default
    assert accepted.exit_code == 1 and "no working python3.99 on PATH" in accepted.output, accepted.output


def test_a_run_without_environments_does_not_import_their_machinery():
    """`run` asks every flow whether it declares an environment; resolving and building (lock files,
    venvs, interpreters) are imported only for a flow that does."""
    script = (
        "import sys\n"
        "from sfncompile.environments.local import maybe_prepare\n"
        "from sfncompile.graph import build_graph\n"
        "from sfncompile.graph.loader import load_flow_class\n"
        "graph = build_graph(load_flow_class(sys.argv[1]))\n"
        "assert maybe_prepare(graph, print) is None\n"
        "print(sorted(m for m in ('sfncompile.environments.lock', 'sfncompile.environments.venv',\n"
        "                         'sfncompile.environments.interpreters') if m in sys.modules))\n"
    )
    hello = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         "examples", "hello.py")
    out = subprocess.run([sys.executable, "-c", script, hello], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
