// Live updates without reloading, and «Похожие предложения» while typing a proposal.
//
// The page is rendered at a cursor (the newest change id, read before the page's data). This
// script opens the event's stream (server-sent events, data-stream) and applies each batch of
// changes as it arrives; the browser reconnects by itself with Last-Event-ID. When the stream
// cannot be had (no EventSource, a refused or repeatedly broken stream) it falls back to polling
// the feed (data-feed) every 1.5 s with the last ETag, so an idle poll costs a 304, and tries the
// stream again a minute later. Both carry the same data and both catch up from the cursor: the
// server keeps every change in the database, so nothing is lost while disconnected.
// Change kinds come from the server (data-kinds: the ChangeKind enum), not from this file.
(function () {
  "use strict";
  var script = document.currentScript;
  var conf = script ? script.dataset : {};
  var POLL_MS = 1500, HIDDEN_MS = 10000, MAX_BACKOFF_MS = 15000;
  var STREAM_FAILURES = 3, STREAM_RETRY_MS = 60000;
  var KINDS = parseKinds(conf.kinds);
  var K = {};
  KINDS.all.forEach(function (kind) { K[kind] = kind; });

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
  function parseKinds(text) {
    try { var kinds = JSON.parse(text || ""); if (kinds && kinds.all) return kinds; } catch (e) { /* below */ }
    return { all: [], queue: [] };
  }
  function withCursor(url, cursor) { return url + (url.indexOf("?") >= 0 ? "&" : "?") + "since=" + cursor; }

  // ---- one live connection: the stream, or the feed poller when the stream breaks ----------
  function Live(cursor, onBatch) {
    this.cursor = cursor; this.onBatch = onBatch;
    this.source = null; this.failures = 0; this.etag = null; this.timer = null; this.polling = false;
  }
  // Both transports hand over the same data: {cursor, more, reset, changes, proposals}.
  Live.prototype.apply = function (data) {
    if (data.reset) { location.reload(); return false; }
    if (data.changes.length) this.onBatch(data.changes, data.proposals || {});
    this.cursor = data.cursor;
    return true;
  };
  Live.prototype.start = function () {
    if (conf.stream && window.EventSource) this.openStream();
    else this.startPolling();
  };
  Live.prototype.openStream = function () {
    var self = this, failures = 0;
    this.stopPolling();
    var source = this.source = new EventSource(withCursor(conf.stream, this.cursor));
    source.addEventListener("changes", function (event) {
      failures = 0;
      self.apply(JSON.parse(event.data));
    });
    source.addEventListener("open", function () { failures = 0; setStatus(true); });
    source.addEventListener("error", function () {
      // A stream that ended normally reconnects by itself (and opens again); one that was
      // refused is CLOSED, and one that keeps failing is given up for polling.
      failures += 1;
      if (source.readyState === EventSource.CLOSED || failures >= STREAM_FAILURES) {
        source.close();
        self.source = null;
        self.startPolling();
        setTimeout(function () { if (self.polling) self.openStream(); }, STREAM_RETRY_MS);
      }
    });
  };
  Live.prototype.startPolling = function () {
    this.polling = true;
    this.schedule(0);
  };
  Live.prototype.stopPolling = function () {
    this.polling = false;
    clearTimeout(this.timer);
  };
  Live.prototype.schedule = function (ms) {
    var self = this;
    clearTimeout(this.timer);
    if (this.polling) this.timer = setTimeout(function () { self.poll(); }, ms);
  };
  Live.prototype.poll = function () {
    var self = this;
    var headers = { "Accept": "application/json" };
    if (this.etag) headers["If-None-Match"] = this.etag;
    fetch(withCursor(conf.feed, this.cursor), { credentials: "same-origin", headers: headers, cache: "no-store" })
      .then(function (response) {
        if (response.status === 304) return null;
        if (!response.ok) throw new Error("feed " + response.status);
        self.etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (body) {
        self.failures = 0;
        setStatus(true);
        var more = false;
        if (body && body.data) {
          if (!self.apply(body.data)) return;
          more = body.data.more;
        }
        self.schedule(more ? 0 : (document.hidden ? HIDDEN_MS : POLL_MS));
      })
      .catch(function () {
        // Offline or the server restarted: back off, then catch up from the same cursor.
        self.failures += 1;
        setStatus(false);
        self.schedule(Math.min(MAX_BACKOFF_MS, POLL_MS * Math.pow(2, self.failures)));
      });
  };

  function setStatus(ok) {
    $all("[data-live-status]").forEach(function (el) {
      el.classList.toggle("offline", !ok);
    });
  }

  // ---- refreshing a server-rendered region ------------------------------------------------
  function Region(el, isBusy) {
    this.el = el; this.url = el.dataset.fragmentUrl; this.isBusy = isBusy || function () { return false; };
    this.pending = false; this.loading = false; this.timer = null;
  }
  Region.prototype.request = function (delay) {
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.refresh(false); }, delay || 250);
  };
  Region.prototype.refresh = function (force) {
    var self = this;
    if (!force && this.isBusy()) {
      // Someone is typing a reason: keep their text, offer the update instead.
      this.pending = true;
      var notice = $("#live-notice");
      if (notice) notice.hidden = false;
      return;
    }
    if (this.loading) { this.request(400); return; }
    this.loading = true;
    fetch(this.url, { credentials: "same-origin", headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.text(); })
      .then(function (html) {
        self.el.innerHTML = html;
        self.pending = false;
        var notice = $("#live-notice");
        if (notice) notice.hidden = true;
      })
      .catch(function () { self.request(3000); })
      .then(function () { self.loading = false; });
  };

  // ---- the track's proposal list ---------------------------------------------------------
  function listMode(list) {
    var trackId = parseInt(list.dataset.liveList, 10);
    var notice = $("#live-notice");
    function showNotice(text) {
      if (!notice) return;
      var button = $("button", notice);
      if (text && button) button.textContent = text;
      notice.hidden = false;
    }
    return function (changes, proposals) {
      changes.forEach(function (change) {
        if (change.track_id !== null && change.track_id !== trackId) return;
        if (change.kind === K.phase) { showNotice(conf.phaseText); return; }
        mentioned(change).forEach(function (id) { follow(change, id); });
      });
      function follow(change, id) {
        var state = proposals[id];
        var card = document.getElementById("proposal-" + id);
        if (!state) return;
        if (card && state.status !== "published") {
          card.classList.add("leaving");
          setTimeout(function () { if (card.parentNode) card.parentNode.removeChild(card); }, 300);
          return;
        }
        if (!card && state.status === "published" && state.track_id === trackId &&
            (change.kind === K.proposal_created || change.kind === K.moderated)) {
          showNotice();
          return;
        }
        if (card && state.support_count !== null && state.support_count !== undefined) {
          $all('[data-live-count="' + id + '"]').forEach(function (el) { el.textContent = state.support_count; });
        }
      }
    };
  }

  // A change names its proposal; a merge also names the proposal it went into.
  function mentioned(change) {
    var ids = change.proposal_id ? [change.proposal_id] : [];
    if (change.into) ids.push(change.into);
    return ids;
  }

  // ---- one proposal's page: counts follow, other changes offer a refresh -------------------
  function detailMode(article) {
    var id = parseInt(article.dataset.liveDetail, 10);
    var notice = $("#live-notice");
    return function (changes, proposals) {
      changes.forEach(function (change) {
        if (mentioned(change).indexOf(id) < 0) return;
        var state = proposals[id];
        if (state && state.support_count !== null && state.support_count !== undefined) {
          $all('[data-live-count="' + id + '"]').forEach(function (el) { el.textContent = state.support_count; });
        }
        if (notice && change.kind !== K.support) notice.hidden = false;
      });
    };
  }

  // ---- «Проект стратегии»: section counts follow, new comments offer a refresh ----------
  function draftMode() {
    var notice = $("#live-notice");
    function show(selector, value) {
      if (value === null || value === undefined) return;
      $all(selector).forEach(function (el) { el.textContent = value; });
    }
    return function (changes) {
      changes.forEach(function (change) {
        if (change.kind !== K.draft) return;
        if (change.section_id) {
          show('[data-draft-supports="' + change.section_id + '"]', change.support_count);
          show('[data-draft-comments="' + change.section_id + '"]', change.comment_count);
        }
        if (notice && change.action !== "support") notice.hidden = false;
      });
    };
  }

  // ---- the moderation queue --------------------------------------------------------------
  function queueMode(regionEl) {
    function busy() {
      var active = document.activeElement;
      if (active && regionEl.contains(active) && /INPUT|TEXTAREA|SELECT/.test(active.tagName)) return true;
      return $all("input[type=text], input[type=number]", regionEl).some(function (f) { return f.value; });
    }
    var region = new Region(regionEl, busy);
    var apply = $("[data-live-apply]");
    if (apply) apply.addEventListener("click", function () { region.refresh(true); });
    regionEl.addEventListener("focusout", function () {
      setTimeout(function () { if (region.pending && !busy()) region.refresh(false); }, 200);
    });
    return function (changes) {
      if (changes.some(function (c) { return KINDS.queue.indexOf(c.kind) >= 0; })) region.request(250);
    };
  }

  // ---- the projector ---------------------------------------------------------------------
  function screenMode(regionEl) {
    // A region holding a form someone may be filling in (a poll's answer) is not replaced.
    var region = new Region(regionEl, function () { return !!$("[data-live-hold]", regionEl); });
    function tick() {
      var now = Date.now(), ended = false;
      $all("[data-ends-at]", regionEl).forEach(function (el) {
        var left = Math.round((Date.parse(el.dataset.endsAt) - now) / 1000);
        if (left <= 0) { el.textContent = conf.ended || ""; ended = true; return; }
        var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
        var text = (h ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + (s < 10 ? "0" : "") + s;
        el.textContent = (conf.left || "") + " " + text;
      });
      if (ended) region.request(1500);  // the phase just closed on the server's clock
    }
    setInterval(tick, 1000);
    tick();
    return function () { region.request(200); };
  }

  // ---- the bell in the header: my unread notifications --------------------------------------
  // A ``notification`` change names nobody (notifications are private): on it, the bell asks
  // its own endpoint for the signed-in person's count. A short random delay spreads the
  // requests of a full hall over a second instead of one instant.
  function bellMode(bell) {
    var badge = $("[data-bell-count]", bell), timer = null;
    function show(n) {
      if (!badge || typeof n !== "number") return;
      badge.textContent = n;
      badge.hidden = n <= 0;
      bell.setAttribute("aria-label", n > 0 ? (bell.dataset.labelUnread + " " + n) : bell.dataset.label);
    }
    function refresh() {
      if (!window.StrategyApi) return;
      window.StrategyApi.call("GET", bell.dataset.unreadUrl).then(function (answer) {
        if (answer.success && answer.data) show(answer.data.unread);
      });
    }
    function later() {
      clearTimeout(timer);
      timer = setTimeout(refresh, 150 + Math.floor(Math.random() * 850));
    }
    document.addEventListener("visibilitychange", function () { if (!document.hidden) later(); });
    return function (changes) {
      if (changes.some(function (c) { return c.kind === K.notification; })) later();
    };
  }

  // ---- start -----------------------------------------------------------------------------
  if (!conf.feed || !window.fetch) return;
  var handler = null, mode = conf.mode;
  var bellEl = $("[data-bell]");
  var bell = bellEl && bellEl.dataset.unreadUrl ? bellMode(bellEl) : null;
  var list = $("[data-live-list]");
  if (mode === "bell") handler = null;  // base.html's script for a page without live parts
  else if (mode === "queue") handler = queueMode($("[data-live-region]"));
  else if (mode === "screen") handler = screenMode($("[data-live-region]"));
  else if (mode === "draft") handler = draftMode();
  else if (list) handler = listMode(list);
  else if ($("[data-live-detail]")) handler = detailMode($("[data-live-detail]"));
  if (!handler && !bell) return;
  var page = handler;
  var live = new Live(parseInt(conf.cursor || "0", 10), function (changes, proposals) {
    if (page) page(changes, proposals);
    if (bell) bell(changes);
  });
  live.start();
  document.addEventListener("visibilitychange", function () { if (!document.hidden) live.schedule(0); });
})();
