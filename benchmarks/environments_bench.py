"""Package environment figures (printed, never judged).

* cached environment: wall added to a local run whose 100-way foreach body runs in a
  cached @pypi environment, against the same run with the environment disabled; per
  task, and the run's fixed part (starting the environment's workers);
* first build of a 5-package environment (resolve + `uv venv` + `uv pip sync`), with
  uv's download cache cold (a fresh UV_CACHE_DIR: packages come from PyPI) and warm;
* container bootstrap of a cached ~50 MB environment (numpy + pandas wheels) from
  emulated S3: fetch the wheels, `uv pip install --offline --no-index`, fresh caches;
* `sfncompile check` of a flow with environments, locks cached, against one without (wall, and
  CPU, steadier on a busy machine). Only this figure: ``python benchmarks/environments_bench.py --only check``;
  before/after: the same with ``PYTHONPATH=<an exported older tree>``.
"""
from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
FLOWS = os.path.join(HERE, "flows", "envs")
PY = sys.executable


def _env(cache: str, **extra: str) -> dict:
    env = dict(os.environ, SFNCOMPILE_CACHE_DIR=cache, SFNCOMPILE_USERNAME="bench", **extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _wall(args, env) -> float:
    began = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - began


def _median(fn, n=3) -> float:
    return statistics.median(fn() for _ in range(n))


def cached_env_overhead(cache: str, root: str) -> None:
    flow = os.path.join(FLOWS, "env_foreach.py")
    for width in (100, 1):
        cmd = [PY, "-m", "sfncompile", "run", flow, "--quiet", "--width", str(width)]
        with_env = _env(cache, SFNCOMPILE_ROOT=root, SFNCOMPILE_BENCH_ENV="1")
        _wall(cmd, with_env)  # builds the environment once
        env_wall = _median(lambda: _wall(cmd, with_env))
        plain_wall = _median(lambda: _wall(cmd, _env(cache, SFNCOMPILE_ROOT=root, SFNCOMPILE_BENCH_ENV="0")))
        added = env_wall - plain_wall
        print(f"cached environment, {width:>3}-way foreach: {env_wall:.2f} s vs {plain_wall:.2f} s without; "
              f"added {added * 1000:.0f} ms per run, {added / width * 1000:.1f} ms per task (target <= 20 ms)")


def first_build() -> None:
    code = ("import sys, time; from sfncompile.graph import build_graph_from_file; "
            "from sfncompile.environments.local import prepare_local_environments; "
            "g = build_graph_from_file(sys.argv[1]); t = time.perf_counter(); "
            "prepare_local_environments(g, lambda m: None); print(time.perf_counter() - t)")
    uv_cache = tempfile.mkdtemp(prefix="bench-uv-")
    try:
        for label in ("cold uv cache (from PyPI)", "warm uv cache"):
            cache = tempfile.mkdtemp(prefix="bench-envs-")
            out = subprocess.run([PY, "-c", code, os.path.join(FLOWS, "five.py")], check=True, capture_output=True,
                                 text=True, env=_env(cache, UV_CACHE_DIR=uv_cache)).stdout
            shutil.rmtree(cache, ignore_errors=True)
            print(f"first build of a 5-package environment, {label}: {float(out):.2f} s "
                  f"(resolve + venv + install; target <= 10 s)")
    finally:
        shutil.rmtree(uv_cache, ignore_errors=True)


_BOOT = r"""
import sys, time
from sfncompile.storage.factory import open_object_store
from sfncompile.environments import bootstrap
objects = open_object_store(sys.argv[1])
objects.exists("warm")  # the S3 client is made outside the timing (the task has made it already)
began = time.perf_counter()
bootstrap.prepare(objects, sys.argv[2], lambda m: None)  # fetch the wheels, build the venv
print(time.perf_counter() - began)
"""


def container_bootstrap() -> None:
    from tests.support.aws_resources import BUCKET, DATASTORE_PREFIX, create_stack
    from tests.support.moto_server import MotoServer

    from sfncompile.environments.lock import IMAGE, resolve_flow
    from sfncompile.environments.wheels import upload_environment, wheel_list
    from sfncompile.graph import build_graph_from_file
    from sfncompile.storage.factory import open_object_store

    server = MotoServer(workdir=tempfile.mkdtemp(prefix="bench-moto-")).start()
    try:
        create_stack(server)
        for name, value in server.env.items():
            os.environ[name] = value
        url = f"s3://{BUCKET}/{DATASTORE_PREFIX}"
        graph = build_graph_from_file(os.path.join(FLOWS, "big.py"))
        lock = resolve_flow(graph, (IMAGE,))["start"][IMAGE]
        upload_environment(open_object_store(url), lock, lambda m: None)
        size = sum(w["size"] or 0 for w in wheel_list(lock)) / 1e6
        times = []
        for _ in range(3):
            cache, uv_cache = tempfile.mkdtemp(prefix="bench-boot-"), tempfile.mkdtemp(prefix="bench-boot-uv-")
            env = server.subprocess_env(SFNCOMPILE_CACHE_DIR=cache, UV_CACHE_DIR=uv_cache,
                                        UV_INDEX_URL="http://127.0.0.1:9/simple/")
            out = subprocess.run([PY, "-c", _BOOT, url, lock.env_id], check=True, capture_output=True, text=True,
                                 env=env).stdout
            times.append(float(out.split()[-1]))
            installed = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(cache, "envs"))
                            for f in fs if not os.path.islink(os.path.join(d, f))) / 1e6
            shutil.rmtree(cache, ignore_errors=True)
            shutil.rmtree(uv_cache, ignore_errors=True)
        print(f"container bootstrap from emulated S3 ({len(lock.pins())} packages, {size:.0f} MB of wheels, "
              f"{installed:.0f} MB installed), fresh caches, fetch + venv + offline install: best "
              f"{min(times):.2f} s, median {statistics.median(times):.2f} s of {len(times)} (target <= 3 s; "
              f"load average {os.getloadavg()[0]:.1f})")
    finally:
        server.stop()


def _cpu(args, env) -> float:
    """CPU seconds (user + system) of one run: steadier than wall time on a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def check_figures(cache: str) -> None:
    with_envs = [PY, "-m", "sfncompile", "check", os.path.join(FLOWS, "env_foreach.py")]
    env = _env(cache, SFNCOMPILE_BENCH_ENV="1")
    _wall(with_envs, env)  # locks cached from here on
    cached = _median(lambda: _wall(with_envs, env), 5)
    cpu = _median(lambda: _cpu(with_envs, env), 9)
    bare = _median(lambda: _cpu([PY, "-c", "pass"], env), 9)
    plain = _median(lambda: _wall(with_envs, _env(cache, SFNCOMPILE_BENCH_ENV="0")), 5)
    code = ("import sys, time; from sfncompile.graph import build_graph_from_file; "
            "from sfncompile.environments.report import describe; g = build_graph_from_file(sys.argv[1]); "
            "t = time.perf_counter(); describe(g); print(time.perf_counter() - t)")
    part = _median(lambda: float(subprocess.run([PY, "-c", code, with_envs[-1]], env=env, check=True,
                                                 capture_output=True, text=True).stdout), 5)
    print(f"check of a flow with an environment, locks cached: {cached:.2f} s "
          f"(without environments {plain:.2f} s; the environments' part in-process {part * 1000:.0f} ms; "
          "target <= 0.3 s)")
    traced = subprocess.run([PY, "-X", "importtime", *with_envs[1:]], env=env, check=True, capture_output=True,
                            text=True).stderr
    modules = sum(1 for line in traced.splitlines() if line.startswith("import time:") and "cumulative" not in line)
    print(f"check of a flow with an environment, locks cached: {cpu:.3f} s CPU, of which {bare:.3f} s is "
          f"starting Python (`python -c pass`); {modules} modules imported")


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["check", "bootstrap"], default=None, help="print only these figures")
    only = parser.parse_args().only
    if only == "bootstrap":
        container_bootstrap()
        return
    cache = tempfile.mkdtemp(prefix="bench-cache-")
    root = tempfile.mkdtemp(prefix="bench-root-")
    try:
        check_figures(cache)
        if only == "check":
            return
        cached_env_overhead(cache, root)
        first_build()
        container_bootstrap()
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
