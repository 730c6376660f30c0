// The site's one way to call /api/v1: fetch with the session cookie and the CSRF token, JSON in
// and out, errors shown in an inline message area (no native dialogs), and counts kept in step.
//
// A stable interface for the site's other scripts (live.js may use it too):
//   StrategyApi.call(method, url, body) -> Promise of the answer's envelope, never rejected:
//       {success: true, data, meta} or {success: false, error, message, errors, status};
//       error "network" means the server was not reached (the caller may submit the form).
//   StrategyApi.say(anchor, text, isError)  message next to an element (aria-live region)
//   StrategyApi.setSupportCount(proposalId, count)  every [data-live-count=id] on the page
//   StrategyApi.setVotesLeft(n)                     every [data-budget-left] <strong>
//   StrategyApi.text(key)  a string rendered by the template (#js-strings, in the page's language)
//   StrategyApi.refreshRegion(el)  reload a [data-fragment-url] region's HTML
// No user-visible text lives here: it comes from the template, so every locale works.
(function () {
  "use strict";
  var strings = {};
  try {
    var block = document.getElementById("js-strings");
    if (block) strings = JSON.parse(block.textContent);
  } catch (e) { /* no strings: messages fall back to the server's own */ }

  function text(key) { return strings[key] || ""; }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function failure(error, message, status) {
    return { success: false, error: error, message: message, errors: {}, status: status || 0 };
  }

  function call(method, url, body) {
    var headers = { "Accept": "application/json", "X-CSRFToken": csrfToken() };
    var options = { method: method, credentials: "same-origin", headers: headers, cache: "no-store" };
    if (body !== undefined && body !== null) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().then(function (envelope) {
        if (envelope && typeof envelope === "object") {
          envelope.status = response.status;
          if (!response.ok) envelope.success = false;
          return envelope;
        }
        return failure("bad_answer", text("failed"), response.status);
      }, function () { return failure("bad_answer", text("failed"), response.status); });
    }, function () { return failure("network", text("network"), 0); });
  }

  // The message area of an element: the one of its [data-api-scope], the element itself if it
  // is one, the one right after it, or a new one made right after it.
  function messageArea(anchor) {
    var scope = anchor.closest("[data-api-scope]");
    var area = scope ? scope.querySelector("[data-api-message]") : null;
    if (!area && anchor.matches("[data-api-message]")) area = anchor;
    var next = anchor.nextElementSibling;
    if (!area && next && next.matches("[data-api-message]")) area = next;
    if (!area) {
      area = document.createElement("p");
      area.setAttribute("data-api-message", "");
      area.setAttribute("aria-live", "polite");
      area.className = "api-message";
      anchor.insertAdjacentElement("afterend", area);
    }
    return area;
  }

  function say(anchor, message, isError) {
    var area = messageArea(anchor);
    area.textContent = message || (isError ? text("failed") : "");
    area.classList.toggle("is-error", !!isError);
    area.setAttribute("role", isError ? "alert" : "status");
    area.hidden = !area.textContent;
    return area;
  }

  function setSupportCount(proposalId, count) {
    if (count === null || count === undefined) return;
    document.querySelectorAll('[data-live-count="' + proposalId + '"]').forEach(function (el) {
      el.textContent = count;
    });
  }

  function setVotesLeft(n) {
    if (n === null || n === undefined) return;
    document.querySelectorAll("[data-budget-left] strong").forEach(function (el) {
      el.textContent = n;
    });
  }

  function refreshRegion(el) {
    if (!el || !el.dataset.fragmentUrl) return Promise.resolve();
    return fetch(el.dataset.fragmentUrl, { credentials: "same-origin", headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.text(); })
      .then(function (html) { el.innerHTML = html; })
      .catch(function () { /* the live feed refreshes it later */ });
  }

  window.StrategyApi = {
    call: call, say: say, text: text, setSupportCount: setSupportCount,
    setVotesLeft: setVotesLeft, refreshRegion: refreshRegion, csrfToken: csrfToken
  };
})();
