// sfncompile UI: refresh a running run's page from JSON, and load artifact previews and whole logs on demand.
(function () {
  "use strict";

  function setStatus(el, status) {
    if (!el) return;
    el.className = el.className.replace(/\bst-[A-Z]+\b/g, "").trim() + " st-" + status;
    if (el.classList.contains("status")) el.textContent = status.toLowerCase();
  }

  function applyRun(data) {
    setStatus(document.getElementById("run-status"), data.status);
    var elapsed = document.getElementById("run-elapsed");
    if (elapsed) elapsed.textContent = data.elapsed;
    Object.keys(data.steps).forEach(function (name) {
      var s = data.steps[name];
      var node = document.getElementById("node-" + name);
      if (node) {
        node.setAttribute("class", "node st-" + s.status);
        var link = node.querySelector("a");
        if (link) link.setAttribute("aria-label", "step " + name + ": " + s.status.toLowerCase());
      }
      var sub = document.getElementById("sub-" + name);
      if (sub) sub.textContent = s.progress;
      var row = document.getElementById("row-" + name);
      if (row) {
        setStatus(row.querySelector('[data-field="status"]'), s.status);
        row.querySelector('[data-field="progress"]').textContent = s.progress;
        row.querySelector('[data-field="elapsed"]').textContent = s.elapsed;
      }
    });
    var failing = document.getElementById("failing");
    if (failing && data.failing) {
      failing.hidden = false;
      failing.textContent = "failed at step " + data.failing.step + ": " + data.failing.error;
    }
  }

  function pollRun(root) {
    var api = root.getAttribute("data-api");
    var every = parseInt(root.getAttribute("data-refresh"), 10) || 1500;
    function tick() {
      fetch(api, {headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          applyRun(data);
          root.setAttribute("data-finished", data.finished ? "true" : "false");
          if (!data.finished) setTimeout(tick, every);
        })
        .catch(function () { setTimeout(tick, every * 2); });
    }
    if (root.getAttribute("data-finished") !== "true") setTimeout(tick, every);
  }

  function loadPreview(row, force) {
    var out = row.querySelector(".out");
    var button = row.querySelector("button.load");
    out.textContent = "loading…";
    fetch(row.getAttribute("data-api") + (force ? "?force=1" : ""))
      .then(function (r) { return r.json(); })
      .then(function (p) {
        out.innerHTML = p.html;  // built on the server from escaped text
        if (p.needs_click) {
          button.textContent = "Load " + row.getAttribute("data-name") + " (" + p.size_text + ")";
          button.onclick = function () { loadPreview(row, true); };
          button.hidden = false;
        } else {
          button.hidden = true;
        }
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var run = document.getElementById("run");
    if (run) pollRun(run);
    document.querySelectorAll("tr.artifact").forEach(function (row) {
      row.querySelector("button.load").addEventListener("click", function () { loadPreview(row, false); });
      loadPreview(row, false);  // lazy: after the page is shown; large values wait for a click
    });
    document.querySelectorAll("button.whole-log").forEach(function (b) {
      b.addEventListener("click", function () {
        fetch(b.getAttribute("data-src")).then(function (r) { return r.text(); }).then(function (text) {
          document.getElementById(b.getAttribute("data-target")).textContent = text;
          b.hidden = true;
        });
      });
    });
  });
})();
