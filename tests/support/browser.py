"""A real headless Chromium (Debian's `chromium` + `chromium-driver`) driven by Selenium, and the UI served
from a subprocess, for the tests that look at pages.

Screenshots go to ``.test-artifacts/screenshots/`` at the repository root (gitignored; CI keeps
the folder), or to ``$SFNCOMPILE_TEST_ARTIFACTS`` when set.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Dict, Iterator, Optional

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,1000",
)


def artifacts_dir() -> str:
    path = os.environ.get("SFNCOMPILE_TEST_ARTIFACTS") or os.path.join(ROOT, ".test-artifacts")
    os.makedirs(os.path.join(path, "screenshots"), exist_ok=True)
    return path


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A Selenium WebDriver for Chromium with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        raise RuntimeError("the browser tests need Debian's chromium and chromium-driver: "
                           "apt-get install -y chromium chromium-driver (.ci/run installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: object, name: str) -> str:
    path = os.path.join(artifacts_dir(), "screenshots", f"{name}.png")
    driver.save_screenshot(path)  # type: ignore[attr-defined]
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def store_env(root: str, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"SFNCOMPILE_ROOT": root, "PYTHONPATH": ROOT, "SFNCOMPILE_USERNAME": "tester"})
    env.pop("SFNCOMPILE_DATASTORE", None)
    env.pop("SFNCOMPILE_METADATA", None)
    env.update(extra or {})
    return env


def run_flow(root: str, flow_file: str, *args: str, check: bool = True, env: Optional[Dict[str, str]] = None) -> str:
    """Run a flow locally into ``root``; returns its run id."""
    out = subprocess.run([sys.executable, "-m", "sfncompile", "run", flow_file, *args],
                         env=env or store_env(root), capture_output=True, text=True, timeout=300)
    if check and out.returncode != 0:
        raise AssertionError(out.stdout + out.stderr)
    marker = "Run "
    for line in (out.stdout + out.stderr).splitlines():
        if line.startswith(marker) and "/" in line:
            return line.split()[1].split("/", 1)[1]
    raise AssertionError("no run id in the output:\n" + out.stdout + out.stderr)


class UiServer:
    """``sfncompile ui`` in a subprocess on a free port."""

    def __init__(self, env: Dict[str, str], *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "sfncompile", "ui", "--port", str(self.port), *args],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("sfncompile ui exited:\n" + (self.proc.stdout.read() if self.proc.stdout else ""))
            try:
                urllib.request.urlopen(self.url + "/", timeout=2).read()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("sfncompile ui did not answer within 30 s")

    def get(self, path: str) -> str:
        return urllib.request.urlopen(self.url + path, timeout=30).read().decode()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
