// A live poll on a phone: the answer goes through /api/v1 (StrategyApi) without a reload; the
// page then shows the results, which live.js keeps current. Without JS the form posts as usual.
// No user-visible text here: messages come from the server in the page's language.
(function () {
  "use strict";
  if (!window.StrategyApi || !window.fetch) return;

  function answerOf(form) {
    var kind = form.dataset.kind;
    if (kind === "single" || kind === "multiple") {
      var ids = Array.prototype.slice.call(form.querySelectorAll('input[name="option"]:checked'))
        .map(function (input) { return parseInt(input.value, 10); });
      return { options: ids };
    }
    if (kind === "scale") {
      var picked = form.querySelector('input[name="value"]:checked');
      return { value: picked ? parseInt(picked.value, 10) : null };
    }
    var word = form.querySelector('input[name="word"]');
    return { word: word ? word.value : "" };
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest ? event.target.closest("[data-poll-form]") : null;
    if (!form || !form.dataset.api) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    StrategyApi.call("POST", form.dataset.api, answerOf(form)).then(function (answer) {
      if (button) button.disabled = false;
      if (answer.error === "network") { form.submit(); return; }
      if (!answer.success) {
        var errors = answer.errors || {};
        var first = Object.keys(errors).map(function (k) { return errors[k][0]; })[0];
        StrategyApi.say(form, answer.message || first, true);
        return;
      }
      var region = form.closest("[data-fragment-url]");
      form.removeAttribute("data-live-hold");
      StrategyApi.refreshRegion(region);
    });
  });
})();
