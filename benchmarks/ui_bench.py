"""UI figures: the runs page of a flow with 10,000 local runs (target: first paint <= 300 ms).

    python benchmarks/ui_bench.py [--runs 10000] [--repeat 7]

Fills a fresh local store's metadata with N runs (mixed statuses, tags, parameters),
serves `sfncompile ui` from a subprocess, and measures (median of --repeat):
server time for the runs page (full HTML), for a filtered page (status + tag), and the
first paint of the page in headless Chromium (Debian's chromium + chromium-driver),
read from the browser's own Paint Timing entry. Prints figures; never pass/fail.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

FLOW = "BenchFlow"


def fill(root: str, n: int) -> float:
    from sfncompile.storage.sqlite_metadata import SqliteMetadataStore

    began = time.perf_counter()
    md = SqliteMetadataStore(os.path.join(root, "metadata.sqlite"))
    statuses = ["SUCCEEDED"] * 8 + ["FAILED", "RUNNING"]
    for i in range(n):
        run_id = f"2026010100{i:06d}-bench"
        created = f"2026-01-01T00:00:00.{i:06d}+00:00"
        md.create_run(FLOW, run_id, username="bench", namespace="user:bench", tags=[f"batch:{i % 20}"],
                      parameters={"alpha": i % 7, "name": f"n{i}"}, created_at=created)
        status = statuses[i % len(statuses)]
        if status != "RUNNING":
            md.update_run(FLOW, run_id, status=status, finished_at=f"2026-01-01T00:01:00.{i:06d}+00:00")
    return time.perf_counter() - began


def timed_get(url: str) -> float:
    began = time.perf_counter()
    urllib.request.urlopen(url, timeout=60).read()
    return time.perf_counter() - began


def first_paint_ms(url: str, repeat: int) -> list:
    """[(first contentful paint, HTML fully received)] in ms from navigation start, per load."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.support.browser import CHROMEDRIVER, CHROMIUM, CHROMIUM_FLAGS

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="ui-bench-profile-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    out = []
    try:
        for _ in range(repeat):
            driver.get("about:blank")
            driver.get(url + f"&nocache={time.time()}")
            paint = driver.execute_async_script(
                "const done = arguments[arguments.length - 1]; const t0 = Date.now();"
                "(function poll() {"
                "  const e = performance.getEntriesByType('paint').find(p => p.name === 'first-contentful-paint');"
                "  const n = performance.getEntriesByType('navigation')[0];"
                "  if (e) return done([e.startTime, n.responseEnd]);"
                "  if (Date.now() - t0 > 3000) return done(null);"
                "  setTimeout(poll, 20); })();")
            out.append(paint)
    finally:
        driver.quit()
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    from tests.support.browser import UiServer, store_env

    with tempfile.TemporaryDirectory(prefix="ui-bench-") as root:
        fill_s = fill(root, args.runs)
        print(f"store: {args.runs} runs of {FLOW} written in {fill_s:.1f} s")
        server = UiServer(store_env(root))
        try:
            page = f"{server.url}/flows/{FLOW}"
            timed_get(page)  # warm: imports, SQLite page cache
            full = [timed_get(page) for _ in range(args.repeat)]
            filtered = [timed_get(page + "?status=FAILED&tag=batch:8") for _ in range(args.repeat)]
            last = [timed_get(page + f"?page={args.runs // 50}") for _ in range(args.repeat)]
            print(f"runs page, server time (full HTML): median {statistics.median(full) * 1000:.0f} ms, "
                  f"max {max(full) * 1000:.0f} ms")
            print(f"runs page filtered by status + tag:  median {statistics.median(filtered) * 1000:.0f} ms")
            print(f"runs page, last page:                median {statistics.median(last) * 1000:.0f} ms")
            measured = [p for p in first_paint_ms(page + "?page=1", args.repeat) if p is not None]
            baseline = [p[0] for p in first_paint_ms(f"{server.url}/?x=1", args.repeat) if p]
            paints = [p[0] for p in measured]
            if paints:
                print(f"runs page first contentful paint in Chromium: median {statistics.median(paints):.0f} ms, "
                      f"max {max(paints):.0f} ms (target <= 300 ms); of which the HTML had fully arrived at "
                      f"median {statistics.median(p[1] for p in measured):.0f} ms")
            if baseline:
                print(f"for scale, the one-line flows index page: first paint median "
                      f"{statistics.median(baseline):.0f} ms (load average {os.getloadavg()[0]:.1f})")
            else:
                print("runs page first paint: the browser reported no paint entry")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
