"""The UI in a real browser (headless Chromium): click through runs, read previews and cards,
see failures marked on the graph, watch a running run update without a reload, use the keyboard."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from ..support.browser import UiServer, run_flow, screenshot, store_env

HERE = os.path.dirname(os.path.abspath(__file__))
FLOWS = os.path.join(HERE, "flows")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("ui-store"))
    foreach_run = run_flow(root, os.path.join(FLOWS, "ui_foreach.py"))
    failed_run = run_flow(root, os.path.join(FLOWS, "ui_failing.py"), check=False)
    return {"root": root, "foreach": foreach_run, "failed": failed_run}


@pytest.fixture(scope="module")
def ui(store):
    # A preview limit below the 300 kB artifact `big`, so its value waits for a click.
    server = UiServer(store_env(store["root"]), "--preview-limit", "100000")
    yield server
    server.stop()


def wait_for(predicate, timeout=20.0, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:  # noqa: BLE001 - the page may be mid-update
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def link(driver, text):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.LINK_TEXT, text)


def node_class(driver, step):
    return css(driver, f"#node-{step}").get_attribute("class")


def test_click_through_a_finished_foreach_run(browser, ui, store):
    browser.get(ui.url + "/")
    link(browser, "UiForeachFlow").click()
    wait_for(lambda: "UiForeachFlow" in browser.title, what="the runs page")
    assert "succeeded" in css(browser, "table.runs tbody").text
    link(browser, store["foreach"]).click()
    wait_for(lambda: browser.find_elements("css selector", "svg.sfn-graph"), what="the graph")
    screenshot(browser, "run-foreach")
    assert "st-SUCCEEDED" in node_class(browser, "score")
    assert css(browser, "#sub-score").text == "4/4 done"
    assert "succeeded" == css(browser, "#run-status").text
    link(browser, "score").click()  # the steps table
    wait_for(lambda: "/steps/score" in browser.current_url, what="the step page")
    assert len(browser.find_elements("css selector", "table.tasks tbody tr")) == 4
    link(browser, "1").click()
    wait_for(lambda: "/tasks/1" in browser.current_url, what="the task page")
    # Artifact previews load after the page: the DataFrame head is a table, the PNG is an image.
    table = wait_for(lambda: css(browser, 'tr[data-name="table"] .out table'), what="the DataFrame preview")
    assert "beta" in table.text and "value" in table.text
    image = wait_for(lambda: css(browser, 'tr[data-name="picture"] .out img'), what="the image preview")
    assert image.get_attribute("src").startswith("data:image/png;base64,")
    assert "'beta'" in css(browser, 'tr[data-name="item"] .out').text
    # The large artifact is not loaded until a click.
    big = css(browser, 'tr[data-name="big"]')
    button = wait_for(lambda: big.find_element("css selector", "button.load") if "not loaded" in big.text else None,
                      what="the large artifact's load button")
    assert "zzzz" not in big.text
    button.click()
    wait_for(lambda: "zzzz" in big.text and "more characters" in big.text, what="the large artifact's preview")
    assert "scored beta" in css(browser, "#stdout").text
    screenshot(browser, "task-with-card")
    # The card, inside the task page.
    frame = css(browser, "iframe.card")
    browser.switch_to.frame(frame)
    try:
        assert wait_for(lambda: "Score of beta" in browser.find_element("css selector", "body").text, what="card")
        assert "The score is 40." in browser.find_element("css selector", "body").text
        assert browser.find_element("css selector", "img").get_attribute("src").startswith("data:image/png")
    finally:
        browser.switch_to.default_content()


def test_a_long_log_shows_its_tail_and_the_whole_on_demand(browser, ui, store):
    browser.get(f"{ui.url}/flows/UiForeachFlow/runs/{store['foreach']}/steps/score/tasks/2")
    stdout = css(browser, "#stdout")
    assert "gamma log line 249" in stdout.text and "gamma log line 10\n" not in stdout.text + "\n"
    assert "last 200 shown" in css(browser, "#stdout-h").text
    css(browser, "button.whole-log").click()
    wait_for(lambda: "gamma log line 0\n" in stdout.text, what="the whole log")
    assert "scored gamma" in stdout.text


def test_failed_run_marks_the_failing_step(browser, ui, store):
    browser.get(f"{ui.url}/flows/UiFailingFlow/runs/{store['failed']}")
    wait_for(lambda: browser.find_elements("css selector", "svg.sfn-graph"), what="the graph")
    screenshot(browser, "run-failed")
    assert "st-FAILED" in node_class(browser, "explode")
    assert "st-SUCCEEDED" in node_class(browser, "start")
    assert "st-PENDING" in node_class(browser, "end")
    failing = css(browser, "#failing")
    assert failing.is_displayed()
    assert "explode" in failing.text and "ValueError: the model diverged at epoch 7" in failing.text
    assert css(browser, "#run-status").text == "failed"
    css(browser, "#node-end a").click()  # a step that never ran: a page saying so, not a 404
    wait_for(lambda: "/steps/end" in browser.current_url, what="the pending step")
    assert "Step end has not started in this run" in css(browser, "main").text
    browser.back()
    css(browser, "#failing a").click()
    wait_for(lambda: "/steps/explode" in browser.current_url, what="the failing step")
    link(browser, "0").click()
    wait_for(lambda: "ValueError" in css(browser, "p.failing").text, what="the task's error")
    assert "the model diverged" in css(browser, "#stderr").text
    browser.switch_to.frame(css(browser, "iframe.card"))
    try:
        body = browser.find_element("css selector", "body").text
        assert "the step failed: ValueError: the model diverged at epoch 7" in body
    finally:
        browser.switch_to.default_content()


def test_unknown_paths_are_404_pages_saying_what_exists(browser, ui, store):
    browser.get(f"{ui.url}/flows/UiForeachFlow/runs/no-such-run")
    text = css(browser, "main").text
    assert "run UiForeachFlow/no-such-run does not exist" in text
    assert store["foreach"] in text  # recent runs are listed
    browser.get(f"{ui.url}/flows/UiForeachFlow/runs/{store['foreach']}/steps/score/tasks/99")
    text = css(browser, "main").text
    assert "has no task '99'" in text and "0, 1, 2, 3" in text
    browser.get(f"{ui.url}/flows/NoSuchFlow")
    text = css(browser, "main").text
    assert "NoSuchFlow" in text and "UiFailingFlow" in text and "UiForeachFlow" in text


def test_runs_filter_by_status_and_tag(browser, ui, store):
    browser.get(f"{ui.url}/flows/UiFailingFlow")
    from selenium.webdriver.support.ui import Select

    Select(css(browser, "select[name=status]")).select_by_visible_text("succeeded")
    css(browser, "form.filters button").click()
    wait_for(lambda: "status=SUCCEEDED" in browser.current_url, what="the filter")
    assert "No run matches status succeeded" in css(browser, "table.runs").text
    Select(css(browser, "select[name=status]")).select_by_visible_text("failed")
    css(browser, "form.filters button").click()
    wait_for(lambda: store["failed"] in css(browser, "table.runs").text, what="the failed run")


def test_a_running_run_updates_without_a_reload(browser, tmp_path, store):
    gate = tmp_path / "gate"
    gate.mkdir()
    root = store["root"]
    env = store_env(root)
    proc = subprocess.Popen([sys.executable, "-m", "sfncompile", "run", os.path.join(FLOWS, "ui_slow.py"),
                             "--gate", str(gate), "--max-workers", "4"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server = UiServer(env)
    try:
        run_id = wait_for(lambda: _latest_run(root, "UiSlowFlow"), timeout=60, what="the slow run to start")
        browser.get(f"{server.url}/flows/UiSlowFlow/runs/{run_id}")
        wait_for(lambda: "RUNNING" in node_class(browser, "work"), timeout=60, what="work running")
        browser.execute_script("window.__loadedOnce = 'still-here';")
        assert css(browser, "#run-status").text == "running"
        (gate / "0").write_text("go")
        (gate / "1").write_text("go")
        wait_for(lambda: css(browser, "#sub-work").text.startswith("2/4 done"), timeout=60, what="2/4 done")
        screenshot(browser, "run-in-progress")
        for i in (2, 3):
            (gate / str(i)).write_text("go")
        wait_for(lambda: css(browser, "#run-status").text == "succeeded", timeout=90, what="the run to succeed")
        assert css(browser, "#sub-work").text == "4/4 done"
        assert "st-SUCCEEDED" in node_class(browser, "end")
        # The same page all along: a reload would have dropped this marker.
        assert browser.execute_script("return window.__loadedOnce;") == "still-here"
    finally:
        for i in range(4):
            (gate / str(i)).write_text("go")
        proc.wait(timeout=120)
        server.stop()


def _latest_run(root, flow):
    runs = os.path.join(root, flow, "runs")
    if not os.path.isdir(runs):
        return None
    found = sorted(os.listdir(runs))
    return found[-1] if found else None


def test_every_control_is_reachable_by_keyboard(browser, ui, store):
    from selenium.webdriver.common.keys import Keys

    pages = [
        "/",
        "/flows/UiForeachFlow",
        f"/flows/UiForeachFlow/runs/{store['foreach']}",
        f"/flows/UiForeachFlow/runs/{store['foreach']}/steps/score/tasks/2",
    ]
    for path in pages:
        browser.get(ui.url + path)
        # Previews load after the page (their buttons then hide): wait until none is loading.
        wait_for(lambda: "loading" not in css(browser, "main").text, what="previews")
        # A card's frame holds no control; the card is reached through its "open alone" link.
        controls = browser.execute_script("""
            const sel = 'a[href], button, select, input, textarea, [tabindex]:not([tabindex="-1"]):not(iframe)';
            const all = Array.from(document.querySelectorAll(sel)).filter(e => {
              if (e.closest('[hidden]') || e.hidden) return false;
              const r = e.getBoundingClientRect();
              return (r.width > 0 && r.height > 0) || e.classList.contains('skip');
            });
            all.forEach((e, i) => e.setAttribute('data-kb', String(i)));
            return all.length;""")
        assert controls > 0, path
        reached = set()
        seq = []
        body = css(browser, "body")
        body.click()
        browser.execute_script("document.activeElement && document.activeElement.blur(); window.focus();")
        for _ in range(controls * 2 + 10):
            browser.switch_to.active_element.send_keys(Keys.TAB)
            active = browser.switch_to.active_element
            mark = active.get_attribute("data-kb")
            if mark is not None:
                reached.add(mark)
            seq.append(mark)
        missing = browser.execute_script(
            "return Array.from(document.querySelectorAll('[data-kb]')).filter(e => !arguments[0].includes("
            "e.getAttribute('data-kb'))).map(e => e.outerHTML.slice(0, 120));", sorted(reached))
        assert not missing, f"{path}: not reachable with Tab: {missing} {seq}"
