// The affinity board: drag cards between sections (SortableJS), drop a section on another to
// merge, drag cards to the empty column to split, rename in place, lock, change the state, undo,
// filter, read a card beside the board, and see the other members' moves live.
//
// Every write goes to the server as one operation; whatever it answers, the board is redrawn
// from the server (the columns' HTML), so it always shows the real state. The keyboard does
// everything the mouse does: Space picks a card up, arrows choose the section, Space drops it.
(function () {
  "use strict";
  var root = document.getElementById("board");
  if (!root || !window.fetch) return;
  var conf = root.dataset;
  var strings = {};
  try { strings = JSON.parse(document.getElementById("board-strings").textContent); } catch (e) { /* keep going */ }
  var statusEl = document.getElementById("board-status");
  var errorEl = document.getElementById("board-error");
  var detail = document.getElementById("board-detail");
  var filters = document.getElementById("board-filters");
  var undoButton = document.querySelector("[data-undo]");
  var FEED_MS = 1500, HIDDEN_MS = 10000, MAX_BACKOFF_MS = 15000;
  // Change kinds come from the server's enum (strategy/live/models.py), never spelt here.
  var KINDS = JSON.parse(conf.kinds || "{}");
  var LIVE_KINDS = {}, EDIT_KIND = KINDS.edit;
  (KINDS.board || []).forEach(function (kind) { LIVE_KINDS[kind] = 1; });
  var state = { busy: 0, pending: false, dragging: false, picked: null, lifted: null,
                renaming: null, sortables: [], detailId: null };

  function t(key, values) {
    var text = strings[key] || "";
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(values[name]);
    });
    return text;
  }
  function $(selector, scope) { return (scope || document).querySelector(selector); }
  function $all(selector, scope) { return Array.prototype.slice.call((scope || document).querySelectorAll(selector)); }
  function say(text) { statusEl.textContent = text || ""; }
  function showError(text) { errorEl.textContent = text || ""; errorEl.hidden = !text; }

  // ---- the server ---------------------------------------------------------------------------
  // One function for every call, with the envelope of /api/v1: the site's shared API helper
  // when the page has it, else the same contract here.
  function csrfToken() { var meta = $('meta[name="csrf-token"]'); return meta ? meta.content : ""; }
  function apiCall(method, url, body) {
    if (window.StrategyApi && window.StrategyApi.call) return window.StrategyApi.call(method, url, body);
    var headers = { "Accept": "application/json", "X-CSRFToken": csrfToken() };
    var options = { method: method, credentials: "same-origin", headers: headers, cache: "no-store" };
    if (body !== undefined && body !== null) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().then(function (envelope) {
        envelope.status = response.status;
        if (!response.ok) envelope.success = false;
        return envelope;
      }, function () { return { success: false, error: response.status, message: t("failed"), status: response.status }; });
    }, function () { return { success: false, error: "network", message: t("network"), status: 0 }; });
  }

  function columnsEl() { return $("[data-board-columns]", root); }
  function runId() { var el = columnsEl(); return el ? parseInt(el.dataset.run, 10) || 0 : 0; }
  function sectionUrl(key, action) { return conf.sectionUrl + key + "/" + action; }

  // A write: the answer is said (or shown as an error), then the board is drawn from the server.
  function write(url, body) {
    showError("");
    say(t("saving"));
    state.busy += 1;
    body.run = runId();
    return apiCall("POST", url, body).then(function (envelope) {
      state.busy -= 1;
      if (envelope.success) say(envelope.data.message);
      else { say(""); showError(envelope.message || t("failed")); }
      return refresh(true).then(function () { return envelope; });
    });
  }

  // ---- redrawing ------------------------------------------------------------------------------
  var refreshing = null;
  function holding() { return !!(state.picked || state.lifted || state.renaming || state.dragging || state.busy); }

  function refresh(force) {
    // A forced refresh follows a write: one already in flight may have read the board before
    // that write, so fetch again after it (a split's new column must be there to rename).
    if (refreshing && force) return refreshing.then(function () { return refresh(true); });
    if (refreshing) { state.pending = true; return refreshing; }
    if (!force && holding()) { state.pending = true; return Promise.resolve(); }
    state.pending = false;
    refreshing = fetch(conf.fragmentUrl, { credentials: "same-origin", headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.text(); })
      .then(redraw)
      .catch(function () { /* the board stays; the next change or action tries again */ })
      .then(function () {
        refreshing = null;
        if (state.pending && !holding()) return refresh();
      });
    return refreshing;
  }

  function focusKey() {
    var el = document.activeElement;
    if (!el || !root.contains(el)) return null;
    if (el.id) return "#" + el.id;
    var column = el.closest("[data-section]");
    var attr = ["data-grip", "data-rename", "data-lock", "data-state"].filter(function (a) { return el.hasAttribute(a); })[0];
    return column && attr ? '[data-section="' + column.dataset.section + '"] [' + attr + "]" : null;
  }

  function redraw(html) {
    var selected = selectedIds(), focus = focusKey(), scroll = root.scrollLeft;
    destroySortables();
    root.innerHTML = html;
    selected.forEach(function (id) { var card = cardEl(id); if (card) select(card, true); });
    applyFilters();
    initSortables();
    rebindHeld();
    if (focus) { var el = $(focus, root); if (el) el.focus({ preventScroll: true }); }
    root.scrollLeft = scroll;
    if (state.detailId && !(detail.contains(document.activeElement) && document.activeElement.tagName === "SELECT")) {
      loadDetail(state.detailId, false);
    }
  }

  // A forced redraw (after a write) can land while a card or a section is held by the keyboard:
  // the held state must point at the new elements, or the next key goes to a detached one.
  function columnByKey(key) { return $('.board-column[data-section="' + key + '"]', root); }
  function rebindHeld() {
    var picked = state.picked, lifted = state.lifted;
    if (picked) {
      picked.card = cardEl(cardId(picked.card)) || picked.card;
      picked.origin = columnByKey(picked.origin.dataset.section) || columnOf(picked.card);
      picked.ids.forEach(function (id) { var c = cardEl(id); if (c) c.classList.add("is-picked"); });
      if (!root.contains(picked.card)) { state.picked = null; say(t("cancelled")); }
      else if (picked.index >= 0) {
        var column = targetColumns()[picked.index];
        markTarget(column === picked.origin ? null : column, "is-drop-target");
        placePicked(column);
      }
    }
    if (lifted) {
      lifted.column = columnByKey(lifted.column.dataset.section);
      if (!lifted.column) { state.lifted = null; say(t("cancelled")); return; }
      lifted.column.classList.add("is-lifted");
      var grip = $("[data-grip]", lifted.column);
      if (grip) grip.setAttribute("aria-pressed", "true");
    }
  }

  // ---- cards, columns, selection ----------------------------------------------------------------
  function cardEl(id) { return document.getElementById("card-" + id); }
  function cardId(card) { return parseInt(card.dataset.proposal, 10); }
  function columns() { return $all(".board-column[data-section]", root); }
  function columnOf(el) { return el.closest(".board-column"); }
  function isLocked(column) { return column.hasAttribute("data-locked"); }
  function columnTitle(column) { return column.dataset.title || ($(".column-title", column) || {}).textContent || ""; }
  function sectionOrNull(key) { return key === "loose" || key === "new" || !key ? null : parseInt(key, 10); }

  function select(card, on) {
    var box = $("[data-select]", card);
    if (!box) return;
    box.checked = on;
    card.classList.toggle("is-selected", on);
  }
  function selectedIds() {
    return $all(".board-card.is-selected", root).map(cardId);
  }
  // The dragged card, or every selected card when the dragged one is selected too.
  function idsToMove(card) {
    var id = cardId(card);
    var chosen = selectedIds();
    return chosen.indexOf(id) >= 0 ? chosen : [id];
  }

  function commitMove(ids, targetKey) {
    var expected = {};
    ids.forEach(function (id) { var card = cardEl(id); if (card) expected[id] = sectionOrNull(card.dataset.from); });
    if (targetKey === "new") {
      return write(conf.splitUrl, { track: conf.track, proposals: ids, expected: expected })
        .then(function (envelope) {
          if (envelope.success) { clearSelection(); startRename(String(envelope.data.section)); }
          return envelope;
        });
    }
    return write(conf.moveUrl, { proposals: ids, section: parseInt(targetKey, 10), expected: expected })
      .then(function (envelope) { if (envelope.success) clearSelection(); return envelope; });
  }
  function clearSelection() { $all(".board-card.is-selected", root).forEach(function (c) { select(c, false); }); }

  // ---- dragging with the mouse or a finger (SortableJS) ---------------------------------------
  function destroySortables() {
    state.sortables.forEach(function (s) { s.destroy(); });
    state.sortables = [];
  }
  function initSortables() {
    if (!window.Sortable) return;
    $all("[data-cards]", root).forEach(function (list) {
      var column = columnOf(list);
      var locked = isLocked(column);
      state.sortables.push(window.Sortable.create(list, {
        group: {
          name: "cards", pull: !locked,
          put: function (to) {
            var target = columnOf(to.el);
            return !isLocked(target) && target.dataset.section !== "loose";
          }
        },
        sort: false, draggable: ".board-card", filter: ".card-select", preventOnFilter: false,
        forceFallback: true, fallbackOnBody: true, fallbackTolerance: 4,
        delay: 150, delayOnTouchOnly: true, animation: 120,
        ghostClass: "sortable-ghost", chosenClass: "sortable-chosen",
        onStart: function (evt) {
          state.dragging = true;
          idsToMove(evt.item).forEach(function (id) { var c = cardEl(id); if (c && c !== evt.item) c.classList.add("is-picked"); });
        },
        onEnd: function (evt) {
          state.dragging = false;
          $all(".board-card.is-picked", root).forEach(function (c) { c.classList.remove("is-picked"); });
          var to = evt.to.dataset.cards;
          if (evt.from === evt.to) { if (state.pending) refresh(); return; }
          commitMove(idsToMove(evt.item), to);
        }
      }));
    });
  }

  // ---- the keyboard: Space picks up, arrows choose, Space drops, Esc cancels ---------------
  function targetColumns() {
    return columns().filter(function (c) { return c.dataset.section !== "loose"; });
  }
  function pickUp(card) {
    var column = columnOf(card);
    if (isLocked(column)) { showError(t("overLocked", { title: columnTitle(column) })); return; }
    var ids = idsToMove(card);
    var list = targetColumns();
    state.picked = { ids: ids, card: card, origin: column, index: list.indexOf(column) };
    ids.forEach(function (id) { var c = cardEl(id); if (c) c.classList.add("is-picked"); });
    showError("");
    say(t("picked", { what: ids.length > 1 ? t("cards", { n: ids.length }) : "«" + $(".card-title", card).textContent.trim() + "»" }));
  }
  function markTarget(column, cls) {
    $all(".is-drop-target, .is-merge-target, .is-refused", root).forEach(function (c) {
      c.classList.remove("is-drop-target", "is-merge-target", "is-refused");
    });
    if (column) column.classList.add(isLocked(column) ? "is-refused" : cls);
  }
  function movePicked(step) {
    var picked = state.picked, list = targetColumns();
    if (!list.length) return;
    var index = picked.index < 0 ? 0 : picked.index;
    index = Math.max(0, Math.min(list.length - 1, index + step));
    picked.index = index;
    var column = list[index];
    markTarget(column === picked.origin ? null : column, "is-drop-target");
    if (column.dataset.section === "new") say(t("overNew"));
    else if (isLocked(column)) say(t("overLocked", { title: columnTitle(column) }));
    else say(t("over", { title: columnTitle(column) }));
    placePicked(column);
    column.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
  // Show the held cards where they would land; focus follows them.
  function placePicked(column) {
    var picked = state.picked;
    if (!column || isLocked(column)) return;
    var cards = $("[data-cards]", column);
    picked.ids.forEach(function (id) { var c = cardEl(id); if (c) cards.insertBefore(c, cards.firstChild); });
    picked.card.focus({ preventScroll: true });
  }
  function dropPicked() {
    var picked = state.picked, list = targetColumns();
    var column = list[picked.index] || picked.origin;
    state.picked = null;
    markTarget(null);
    $all(".board-card.is-picked", root).forEach(function (c) { c.classList.remove("is-picked"); });
    if (column === picked.origin) { say(t("cancelled")); refresh(); return; }
    if (isLocked(column)) { say(""); showError(t("overLocked", { title: columnTitle(column) })); refresh(); return; }
    commitMove(picked.ids, column.dataset.section);
  }
  function cancelPicked() {
    state.picked = null;
    markTarget(null);
    $all(".board-card.is-picked", root).forEach(function (c) { c.classList.remove("is-picked"); });
    say(t("cancelled"));
    refresh();
  }

  // A section lifted by its grip: arrows choose the section to merge into, Space merges.
  function mergeColumns(lifted) {
    return columns().filter(function (c) {
      var key = c.dataset.section;
      return key !== "loose" && key !== "new" && c !== lifted;
    });
  }
  function liftSection(column) {
    state.lifted = { column: column, index: -1 };
    column.classList.add("is-lifted");
    var grip = $("[data-grip]", column);
    if (grip) grip.setAttribute("aria-pressed", "true");
    showError("");
    say(t("sectionPicked", { title: columnTitle(column) }));
  }
  function moveLifted(step) {
    var lifted = state.lifted, list = mergeColumns(lifted.column);
    if (!list.length) return;
    lifted.index = lifted.index < 0 ? (step > 0 ? 0 : list.length - 1) : Math.max(0, Math.min(list.length - 1, lifted.index + step));
    var column = list[lifted.index];
    markTarget(column, "is-merge-target");
    say(isLocked(column) ? t("overLocked", { title: columnTitle(column) }) : t("mergeOver", { title: columnTitle(column) }));
    column.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
  function endLift() {
    var lifted = state.lifted;
    state.lifted = null;
    markTarget(null);
    if (!lifted) return null;
    lifted.column.classList.remove("is-lifted");
    var grip = $("[data-grip]", lifted.column);
    if (grip) grip.removeAttribute("aria-pressed");
    return lifted;
  }
  function dropLifted() {
    var lifted = state.lifted, list = mergeColumns(lifted.column);
    var target = lifted.index >= 0 ? list[lifted.index] : null;
    endLift();
    if (!target) { say(t("cancelled")); if (state.pending) refresh(); return; }
    merge(lifted.column, target);
  }
  function merge(source, target) {
    if (isLocked(target)) { showError(t("overLocked", { title: columnTitle(target) })); return; }
    write(sectionUrl(source.dataset.section, "merge"), { into: parseInt(target.dataset.section, 10) });
  }

  function focusCard(card, step) {
    var cards = $all(".board-card:not([hidden])", columnOf(card));
    var next = cards[cards.indexOf(card) + step];
    if (next) next.focus();
  }
  function focusColumn(card, step) {
    var list = columns();
    var index = list.indexOf(columnOf(card));
    for (var i = index + step; i >= 0 && i < list.length; i += step) {
      var first = $(".board-card:not([hidden])", list[i]);
      if (first) { first.focus(); first.scrollIntoView({ block: "nearest", inline: "nearest" }); return; }
    }
  }

  root.addEventListener("keydown", function (e) {
    var key = e.key;
    if (state.picked) {
      if (key === "ArrowRight" || key === "ArrowDown") { e.preventDefault(); movePicked(1); }
      else if (key === "ArrowLeft" || key === "ArrowUp") { e.preventDefault(); movePicked(-1); }
      else if (key === " " || key === "Enter") { e.preventDefault(); dropPicked(); }
      else if (key === "Escape" || key === "Tab") { if (key === "Escape") e.preventDefault(); cancelPicked(); }
      return;
    }
    if (state.lifted) {
      if (key === "ArrowRight" || key === "ArrowDown") { e.preventDefault(); moveLifted(1); }
      else if (key === "ArrowLeft" || key === "ArrowUp") { e.preventDefault(); moveLifted(-1); }
      else if (key === " " || key === "Enter") { e.preventDefault(); dropLifted(); }
      else if (key === "Escape" || key === "Tab") { if (key === "Escape") e.preventDefault(); endLift(); say(t("cancelled")); if (state.pending) refresh(); }
      return;
    }
    var grip = e.target.closest("[data-grip]");
    if (grip && (key === " " || key === "Enter")) { e.preventDefault(); liftSection(columnOf(grip)); return; }
    var card = e.target.classList && e.target.classList.contains("board-card") ? e.target : null;
    if (!card) return;
    if (key === " ") { e.preventDefault(); pickUp(card); }
    else if (key === "Enter") { e.preventDefault(); openDetail(card); }
    else if (key === "ArrowDown" || key === "ArrowUp") { e.preventDefault(); focusCard(card, key === "ArrowDown" ? 1 : -1); }
    else if (key === "ArrowRight" || key === "ArrowLeft") { e.preventDefault(); focusColumn(card, key === "ArrowRight" ? 1 : -1); }
  });

  // ---- a section dragged by its grip onto another: merge ------------------------------------
  root.addEventListener("pointerdown", function (e) {
    var grip = e.target.closest("[data-grip]");
    if (!grip || e.button !== 0 || state.picked || state.lifted) return;
    e.preventDefault();
    var column = columnOf(grip);
    var drag = { active: false, target: null, ghost: null, x: e.clientX, y: e.clientY };
    grip.setPointerCapture(e.pointerId);
    function move(ev) {
      if (!drag.active && Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) < 6) return;
      if (!drag.active) {
        drag.active = true;
        state.dragging = true;
        document.body.classList.add("is-dragging-section");
        column.classList.add("is-lifted");
        drag.ghost = document.createElement("div");
        drag.ghost.className = "section-ghost";
        drag.ghost.textContent = columnTitle(column);
        document.body.appendChild(drag.ghost);
      }
      drag.ghost.style.left = (ev.clientX + 12) + "px";
      drag.ghost.style.top = (ev.clientY + 12) + "px";
      var under = document.elementFromPoint(ev.clientX, ev.clientY);
      var target = under && under.closest ? under.closest(".board-column[data-section]") : null;
      if (target && (target === column || target.dataset.section === "loose" || target.dataset.section === "new")) target = null;
      drag.target = target;
      markTarget(target, "is-merge-target");
      var box = root.getBoundingClientRect();
      if (ev.clientX > box.right - 60) root.scrollLeft += 24;
      else if (ev.clientX < box.left + 60) root.scrollLeft -= 24;
    }
    function finish(ev, cancelled) {
      grip.removeEventListener("pointermove", move);
      grip.removeEventListener("pointerup", up);
      grip.removeEventListener("pointercancel", cancel);
      if (drag.ghost) drag.ghost.parentNode.removeChild(drag.ghost);
      column.classList.remove("is-lifted");
      document.body.classList.remove("is-dragging-section");
      markTarget(null);
      state.dragging = false;
      if (drag.active && drag.target && !cancelled) merge(column, drag.target);
      else if (state.pending) refresh();
    }
    function up(ev) { finish(ev, false); }
    function cancel(ev) { finish(ev, true); }
    grip.addEventListener("pointermove", move);
    grip.addEventListener("pointerup", up);
    grip.addEventListener("pointercancel", cancel);
  });

  // ---- renaming in place, lock, state ---------------------------------------------------------
  function startRename(key) {
    var column = $('.board-column[data-section="' + key + '"]', root);
    if (!column || state.renaming) return;
    var heading = $("[data-column-title]", column);
    state.renaming = key;
    var form = document.createElement("form");
    form.className = "rename-form";
    var input = document.createElement("input");
    input.type = "text"; input.maxLength = 200; input.value = heading.textContent.trim();
    input.setAttribute("aria-label", t("renameLabel"));
    var row = document.createElement("div"); row.className = "row";
    var save = document.createElement("button");
    save.type = "submit"; save.className = "button small"; save.textContent = t("save");
    var cancel = document.createElement("button");
    cancel.type = "button"; cancel.className = "button secondary small"; cancel.textContent = t("cancel");
    var error = document.createElement("p");
    error.className = "column-error"; error.setAttribute("role", "alert"); error.hidden = true;
    row.appendChild(save); row.appendChild(cancel);
    form.appendChild(input); form.appendChild(row); form.appendChild(error);
    heading.hidden = true;
    heading.parentNode.insertBefore(form, heading.nextSibling);
    $all("[data-rename], [data-grip]", column).forEach(function (b) { b.hidden = true; });
    input.focus(); input.select();
    function stop() { state.renaming = null; refresh(true); }
    cancel.addEventListener("click", function () { say(t("renameCancelled")); stop(); });
    input.addEventListener("keydown", function (e) { if (e.key === "Escape") { e.preventDefault(); say(t("renameCancelled")); stop(); } });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      save.disabled = true;
      apiCall("POST", sectionUrl(key, "rename"), { title: input.value }).then(function (envelope) {
        save.disabled = false;
        if (envelope.success) { say(envelope.data.message); showError(""); stop(); return; }
        error.textContent = envelope.message || t("failed");
        error.hidden = false;
        input.focus();
      });
    });
  }

  root.addEventListener("click", function (e) {
    var rename = e.target.closest("[data-rename]");
    if (rename) { startRename(columnOf(rename).dataset.section); return; }
    var lock = e.target.closest("[data-lock]");
    if (lock) { write(sectionUrl(columnOf(lock).dataset.section, "lock"), { locked: lock.dataset.lock === "1" }); return; }
    var open = e.target.closest("[data-open]");
    if (open) { openDetail(open.closest(".board-card")); }
  });
  root.addEventListener("change", function (e) {
    if (e.target.matches("[data-state]")) {
      write(sectionUrl(columnOf(e.target).dataset.section, "state"), { state: e.target.value });
    } else if (e.target.matches("[data-select]")) {
      e.target.closest(".board-card").classList.toggle("is-selected", e.target.checked);
    }
  });

  if (undoButton) {
    undoButton.hidden = false;
    undoButton.addEventListener("click", function () { write(conf.undoUrl, { track: conf.track }); });
  }
  document.addEventListener("keydown", function (e) {
    var typing = e.target.closest && e.target.closest("input, textarea, select, [contenteditable]");
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === "z" && !typing && !holding()) {
      e.preventDefault();
      write(conf.undoUrl, { track: conf.track });
    } else if (e.key === "Escape" && state.detailId && !state.picked && !state.lifted) {
      closeDetail();
    }
  });

  // ---- a card's full text beside the board ----------------------------------------------------
  function openDetail(card) {
    if (!card) return;
    state.detailFrom = card.id;
    loadDetail(cardId(card), true);
  }
  function loadDetail(id, focus) {
    state.detailId = id;
    return fetch(conf.cardUrl + id, { credentials: "same-origin", headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (response) {
        return response.text().then(function (html) { return { ok: response.ok, html: html }; });
      })
      .then(function (answer) {
        if (state.detailId !== id) return;
        if (!answer.ok) { closeDetail(); return; }
        detail.innerHTML = answer.html;
        detail.hidden = false;
        if (focus) detail.focus();
      })
      .catch(function () { /* keep what the panel shows */ });
  }
  function closeDetail() {
    state.detailId = null;
    detail.hidden = true;
    detail.innerHTML = "";
    var from = state.detailFrom && document.getElementById(state.detailFrom);
    if (from) from.focus();
  }
  detail.addEventListener("click", function (e) {
    if (e.target.closest("[data-close-detail]")) closeDetail();
  });
  detail.addEventListener("submit", function (e) {
    var form = e.target.closest("[data-detail-move]");
    if (!form) return;
    e.preventDefault();
    var id = parseInt(form.dataset.proposal, 10);
    var card = cardEl(id);
    var expected = {};
    expected[id] = sectionOrNull(card ? card.dataset.from : form.dataset.from);
    write(conf.moveUrl, { proposals: [id], section: parseInt(form.elements.section.value, 10), expected: expected });
  });

  // ---- filters: kind, contested only, search -------------------------------------------------
  function fold(text) { return (text || "").toLowerCase().replace(/\u0451/g, "\u0435").split(/\s+/).filter(Boolean).join(" "); }
  function applyFilters() {
    if (!filters) return;
    var q = fold(filters.elements.q.value), kind = filters.elements.kind.value;
    var answer = filters.elements.answer ? filters.elements.answer.value : "";
    var contested = filters.elements.contested.checked;
    var shown = 0, total = 0;
    $all(".board-card", root).forEach(function (card) {
      var ok = (!kind || card.dataset.kind === kind) && (!contested || card.dataset.contested === "1")
        && (!answer || card.dataset.answer === answer)
        && (!q || card.dataset.search.indexOf(q) >= 0);
      card.hidden = !ok;
      total += 1;
      if (ok) shown += 1;
    });
    var count = $("[data-board-count]");
    if (count) count.textContent = t("shown", { n: shown, m: total });
  }
  function rememberFilters() {
    var params = new URLSearchParams(window.location.search);
    ["q", "kind", "answer"].forEach(function (name) {
      if (!filters.elements[name]) return;
      var value = filters.elements[name].value;
      if (value) params.set(name, value); else params.delete(name);
    });
    if (filters.elements.contested.checked) params.set("contested", "1"); else params.delete("contested");
    window.history.replaceState(null, "", window.location.pathname + "?" + params.toString());
  }
  if (filters) {
    var submit = $("[data-filter-submit]", filters);
    if (submit) submit.hidden = true;
    filters.addEventListener("input", function () { applyFilters(); rememberFilters(); });
    filters.addEventListener("change", function () { applyFilters(); rememberFilters(); });
    filters.addEventListener("submit", function (e) { e.preventDefault(); applyFilters(); rememberFilters(); });
  }

  // ---- live: the other members' moves ---------------------------------------------------------
  var feed = { cursor: parseInt(conf.cursor, 10) || 0, etag: null, failures: 0, timer: null };
  function schedule(ms) { clearTimeout(feed.timer); feed.timer = setTimeout(poll, ms); }
  function poll() {
    var headers = { "Accept": "application/json" };
    if (feed.etag) headers["If-None-Match"] = feed.etag;
    var sep = conf.feedUrl.indexOf("?") >= 0 ? "&" : "?";
    fetch(conf.feedUrl + sep + "since=" + feed.cursor, { credentials: "same-origin", headers: headers, cache: "no-store" })
      .then(function (response) {
        if (response.status === 304) return null;
        if (!response.ok) throw new Error("feed " + response.status);
        feed.etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (body) {
        feed.failures = 0;
        var more = false;
        if (body && body.data) {
          var data = body.data, others = false, relevant = data.reset;
          data.changes.forEach(function (change) {
            if (!LIVE_KINDS[change.kind]) return;
            var mine = change.kind === EDIT_KIND && String(change.by) === conf.me;
            if (!mine) { relevant = true; if (change.kind === EDIT_KIND) others = true; }
          });
          feed.cursor = data.cursor;
          more = data.more;
          if (relevant) refresh().then(function () { if (others && !holding()) say(t("updated")); });
        }
        schedule(more ? 0 : (document.hidden ? HIDDEN_MS : FEED_MS));
      })
      .catch(function () {
        feed.failures += 1;
        schedule(Math.min(MAX_BACKOFF_MS, FEED_MS * Math.pow(2, feed.failures)));
      });
  }

  applyFilters();
  initSortables();
  schedule(FEED_MS);
})();
