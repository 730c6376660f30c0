// Small progressive enhancements; every action also works as a plain form without JS.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content;

  // Support buttons: toggle with fetch(), keep the page where it is.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("support-form") || !window.fetch) return;
    event.preventDefault();
    var button = form.querySelector("button");
    button.disabled = true;
    fetch(form.action, {
      method: "POST", credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      button.disabled = false;
      if (!result.ok) { alert(result.body.message || "Ошибка"); return; }
      var data = result.body.data;
      var on = data.supported;
      button.classList.toggle("is-on", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? button.dataset.on : button.dataset.off;
      form.action = on ? form.dataset.unsupport : form.dataset.support;
      if (data.support_count !== null && data.support_count !== undefined) {
        document.querySelectorAll('[data-live-count="' + data.proposal_id + '"]').forEach(function (el) {
          el.textContent = data.support_count;
        });
      }
      var left = document.querySelector("[data-budget-left] strong");
      if (left && data.budget_left !== null) left.textContent = data.budget_left;
    }).catch(function () { button.disabled = false; form.submit(); });
  });

  // Character counters under long fields.
  document.querySelectorAll("[data-maxlength]").forEach(function (field) {
    var max = parseInt(field.dataset.maxlength, 10);
    var counter = document.createElement("p");
    counter.className = "counter";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    function update() {
      var n = field.value.length;
      counter.textContent = n + " / " + max;
      counter.classList.toggle("over", n > max);
    }
    field.addEventListener("input", update);
    update();
  });

  // Keep a typed proposal or comment in this browser until it is sent.
  document.querySelectorAll("form.proposal-form, form.comment-form").forEach(function (form) {
    var key = "draft:" + location.pathname + ":" + (form.id || form.className);
    var fields = form.querySelectorAll("input[type=text], input:not([type]), textarea");
    try {
      // A flag set at submit: if we are back on a clean form, that submit succeeded.
      if (sessionStorage.getItem("sent:" + key)) {
        sessionStorage.removeItem("sent:" + key);
        if (!form.querySelector(".error")) localStorage.removeItem(key);
      }
      var saved = JSON.parse(localStorage.getItem(key) || "{}");
      fields.forEach(function (f) { if (!f.value && saved[f.name]) f.value = saved[f.name]; });
    } catch (e) { /* storage may be off */ }
    form.addEventListener("input", function () {
      var data = {};
      fields.forEach(function (f) { data[f.name] = f.value; });
      try { localStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* full or off */ }
    });
    form.addEventListener("submit", function () {
      try { sessionStorage.setItem("sent:" + key, "1"); } catch (e) { /* ignore */ }
    });
  });

  document.querySelectorAll("[data-reload]").forEach(function (b) {
    b.addEventListener("click", function () { location.reload(); });
  });

  // Instead of inline handlers, which the Content-Security-Policy forbids.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  document.querySelectorAll("[data-history-back]").forEach(function (link) {
    link.addEventListener("click", function (e) {
      if (history.length > 1) { e.preventDefault(); history.back(); }
    });
  });
})();
