// Workspace: start the grouping without leaving the page and follow its progress by polling
// the run's JSON status. Without JS the form posts normally and the page refreshes itself.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content;
  var box = document.getElementById("run-status");
  var form = document.querySelector("[data-run-form]");
  if (!box || !form || !window.fetch) return;
  var button = form.querySelector("[data-run-button]");
  var timer = null;

  function part(selector) { return box.querySelector(selector); }

  function ensureProgress() {
    var bar = part("progress");
    if (!bar) {
      bar = document.createElement("progress");
      bar.max = 100;
      bar.setAttribute("aria-label", box.dataset.progressLabel || "");
      box.insertBefore(bar, box.firstChild);
    }
    return bar;
  }

  function show(run) {
    var bar = ensureProgress();
    bar.hidden = !run.active;
    bar.value = run.progress;
    bar.textContent = run.progress + "%";
    var message = part("[data-run-message]");
    if (message) message.textContent = run.message;
    var percent = part("[data-run-percent]");
    if (percent) {
      percent.hidden = !run.active;
      percent.textContent = run.progress + "\u00a0%";
    }
    var badge = part("[data-run-badge]");
    if (badge) {
      badge.textContent = run.status_label;
      badge.className = "badge run-" + run.status;
    }
    button.disabled = run.active;
    var cancel = part("[data-run-cancel]");
    if (cancel) {
      cancel.hidden = !run.active;
      if (run.cancel_url) cancel.action = run.cancel_url;
    }
    var done = part(".run-finished");
    if (done) done.hidden = run.status !== "done";
  }

  function poll(url) {
    clearTimeout(timer);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (!body.success) throw new Error(body.message);
        show(body.data);
        if (body.data.active) timer = setTimeout(function () { poll(url); }, 1000);
      })
      .catch(function () { timer = setTimeout(function () { poll(url); }, 3000); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    fetch(form.action, {
      method: "POST", credentials: "same-origin", body: new FormData(form),
      headers: { "Accept": "application/json", "X-CSRFToken": csrf }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (!result.ok) {
        button.disabled = false;
        var message = part("[data-run-message]");
        if (message) message.textContent = result.body.message || box.dataset.failed || "";
        return;
      }
      show(result.body.data);
      poll(result.body.meta.status_url);
    }).catch(function () { button.disabled = false; form.submit(); });
  });

  if (box.dataset.activeRun) poll(box.dataset.activeRun);
})();
