// «Similar proposals» while a proposal is typed: asks /api/v1/…/proposals/similar and lists
// the closest published ones, so a participant may support one instead of posting a duplicate.
// The heading and the hint come from the template (data-title, data-hint).
(function () {
  "use strict";
  var Api = window.StrategyApi;
  var MIN_CHARS = 8, WAIT_MS = 500, MAX_QUERY = 6000;

  function hints(form) {
    var url = form.dataset.similarUrl, box = form.querySelector("#similar");
    if (!url || !box || !window.fetch || !Api) return;
    var title = form.querySelector("[name=title]"), body = form.querySelector("[name=body]");
    var track = form.querySelector("[name=track]");
    var timer = null, last = "";

    function query() {
      var text = ((title && title.value) || "") + ". " + ((body && body.value) || "");
      var key = (track ? track.value : "") + "|" + text;
      if (key === last) return;
      last = key;
      if (text.replace(/[\s.]/g, "").length < MIN_CHARS || !track || !track.value) {
        box.hidden = true;
        return;
      }
      // POSTed: a whole proposal in Cyrillic does not fit in a request line.
      Api.call("POST", url, { track: track.value, q: text.slice(0, MAX_QUERY) }).then(function (answer) {
        render(answer.success ? answer.data : []);  // hints are optional: errors stay quiet
      });
    }

    function render(items) {
      box.innerHTML = "";
      if (!items.length) { box.hidden = true; return; }
      var head = document.createElement("p");
      var strong = document.createElement("strong");
      var hint = document.createElement("span");
      strong.textContent = box.dataset.title || "";
      hint.className = "hint";
      hint.textContent = box.dataset.hint || "";
      head.appendChild(strong);
      head.appendChild(document.createElement("br"));
      head.appendChild(hint);
      box.appendChild(head);
      var ul = document.createElement("ul");
      items.forEach(function (item) {
        var li = document.createElement("li"), a = document.createElement("a");
        a.href = item.url; a.target = "_blank"; a.rel = "noopener"; a.textContent = item.title;
        li.appendChild(a);
        var meta = document.createElement("span");
        meta.className = "meta";
        meta.textContent = " · " + Math.round(item.similarity * 100) + "%";
        li.appendChild(meta);
        ul.appendChild(li);
      });
      box.appendChild(ul);
      box.hidden = false;
    }

    function later() { clearTimeout(timer); timer = setTimeout(query, WAIT_MS); }
    [title, body, track].forEach(function (field) {
      if (field) { field.addEventListener("input", later); field.addEventListener("change", later); }
    });
    later();
  }

  document.querySelectorAll("form[data-similar-url]").forEach(hints);
})();
