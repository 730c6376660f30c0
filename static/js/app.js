// Small progressive enhancements; every action also works as a plain form without JS.
(function () {
  "use strict";
  var Api = window.StrategyApi;

  // Support buttons: toggle through /api/v1 (POST supports, DELETE withdraws), stay in place.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-api-support]") || !window.fetch || !Api) return;
    event.preventDefault();
    var button = form.querySelector("button");
    var on = button.getAttribute("aria-pressed") === "true";
    button.disabled = true;
    Api.call(on ? "DELETE" : "POST", form.dataset.apiSupport).then(function (answer) {
      button.disabled = false;
      if (answer.error === "network") { form.submit(); return; }
      if (!answer.success) { Api.say(form, answer.message, true); return; }
      var data = answer.data;
      button.classList.toggle("is-on", data.supported);
      button.setAttribute("aria-pressed", data.supported ? "true" : "false");
      button.textContent = data.supported ? button.dataset.on : button.dataset.off;
      form.action = data.supported ? form.dataset.unsupport : form.dataset.support;
      Api.setSupportCount(data.proposal_id, data.support_count);
      Api.setVotesLeft(data.votes_left);
      Api.say(form, answer.meta.message, false);
    });
  });

  // Moderation buttons of the queue: the action through /api/v1, the message beside the
  // queue, then the queue region reloads (the form posts normally without JS).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-api-action]") || !window.fetch || !Api) return;
    event.preventDefault();
    var body = {};
    form.querySelectorAll("input[name], textarea[name]").forEach(function (field) {
      if (field.name === "csrf_token" || field.name === "next") return;
      var number = field.type === "number" || field.hasAttribute("data-api-number");
      body[field.name] = number ? parseInt(field.value, 10) : field.value;
    });
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    var region = form.closest("[data-live-region]");
    var anchor = document.querySelector("[data-api-message]") || form;
    Api.call("POST", form.dataset.apiAction, Object.keys(body).length ? body : null).then(function (answer) {
      buttons.forEach(function (b) { b.disabled = false; });
      if (answer.error === "network") { form.submit(); return; }
      Api.say(anchor, answer.success ? answer.meta.message : answer.message, !answer.success);
      if (answer.success && region) Api.refreshRegion(region);
    });
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
