/* courseproj live updates: a stream of server-sent events, or polling a fragment with its ETag.
 *
 * Streams. An element with data-live-stream (a URL) listens to it with
 * EventSource. The server sends the current state first, then one event per
 * change, read once per change for all its clients (matching/live.py):
 * - `board` carries the whole fragment, swapped exactly as a poll's answer is;
 * - `who` carries the who-lines of a student's page ({"version", "state",
 *   "who": {dataset id: [count, html]}}): each [data-who] element present is
 *   filled anew. When "state" differs from the page's [data-live-state], or one
 *   of the student's own picks ([data-who][data-ranked]) starts or stops being
 *   the only one (its suggestion comes or goes), the page refetches its
 *   fragment once from data-live-url, after a random 0–3 s so that a class's
 *   phones do not all ask at the same moment;
 * - `replaced` (a projector link that was replaced) is shown in place of the
 *   board and the stream is closed: nothing more will come;
 * - `bye` is a planned end (a stream lasts a few minutes; a stopping server
 *   worker ends its streams): the page opens a new stream at once, quietly.
 * After an error the browser reconnects by itself ("Connection lost —
 * reconnecting…"), and the new stream starts with the whole state again. When
 * no stream can be had — no EventSource, an answer that is not a stream (the
 * 503 of a server holding too many, a 404), or three errors in a row — the
 * page falls back to polling, below, for as long as it stays open.
 *
 * Polling. An element with data-live-url is refreshed every data-live-interval
 * ms. The request carries If-None-Match, so an unchanged board costs the
 * server one small read and answers 304. On any failure (server restart,
 * Wi-Fi blip) the poller backs off (doubling, up to 15 s), forgets its ETag
 * and, once the server answers again, redraws the *full* state: the fragment
 * replaces the old one whole, so nothing is ever shown twice.
 * A fragment holding [data-live-reload] is final (a finished profiling job):
 * the page reloads once to show what follows, and polling stops.
 * A 410 answer (a projector link that was replaced) is final too: its fragment
 * is shown in place of the board and polling stops.
 *
 * Both. The user's own htmx actions inside the element win: a poll or refetch
 * sent before one does not paint its older state over the newer one (a
 * generation counter), and a `who` event older than the action's answer (its
 * ETag's version) is dropped.
 * Elements with data-countdown-end (an ISO time; data-server-now: the server's
 * clock when rendered) show the minutes and seconds left. The server renders
 * the same text, and a redraw ticks the new countdown at once, so it never
 * blanks. A streamed fragment may have been rendered a while before it is
 * sent, so its countdowns count from the clock offset of the page's own render
 * (data-server-now on the live element). When a countdown reaches zero, its
 * page refetches the whole state once (the server closed the picks: phones
 * lose their buttons), and a countdown marked data-countdown-reload reloads
 * its page (the instructor's controller).
 */
(function () {
  "use strict";
  var MAX_DELAY = 15000;
  var STREAM_FAILURES = 3;
  var REFETCH_JITTER = 3000;

  function setStatus(text, broken) {
    document.querySelectorAll("[data-live-status]").forEach(function (el) {
      el.textContent = text;
      el.classList.toggle("live-status--broken", broken);
    });
  }

  // Names that do not fit their tile fade out at the edge (only those: a full list stays crisp).
  function markOverflow(root) {
    root.querySelectorAll(".tile__names, .tile__hint").forEach(function (names) {
      names.classList.toggle("tile__names--more", names.scrollHeight > names.clientHeight + 1);
    });
  }

  // Tiles whose count changed light up and fade back (a CSS transition; none under reduced motion).
  function markChanged(el, before) {
    el.querySelectorAll("[data-tile]").forEach(function (tile) {
      if (before[tile.getAttribute("data-tile")] === tile.getAttribute("data-count")) return;
      tile.classList.add("tile--changed");
      window.requestAnimationFrame(function () {
        window.requestAnimationFrame(function () { tile.classList.remove("tile--changed"); });
      });
    });
  }

  function tileCounts(el) {
    var counts = {};
    el.querySelectorAll("[data-tile]").forEach(function (tile) {
      counts[tile.getAttribute("data-tile")] = tile.getAttribute("data-count");
    });
    return counts;
  }

  // The course's live version in an ETag ("live-<course>-<version>").
  function versionOf(etag) {
    var match = /-(\d+)"?$/.exec(etag || "");
    return match ? parseInt(match[1], 10) : 0;
  }

  function setup(el) {
    var rendered = Date.parse(el.getAttribute("data-server-now") || "");
    var live = {
      el: el,
      etag: el.getAttribute("data-live-etag") || null,
      generation: 0, // bumped by the user's own htmx actions inside the element
      lastHtml: null,
      source: null,
      gone: false,
      polling: false,
      refetching: false,
      who: {}, // the who-lines' html as last streamed, by dataset id
      offset: isNaN(rendered) ? null : rendered - Date.now()
    };
    live.version = versionOf(live.etag);

    el.addEventListener("htmx:afterRequest", function (event) {
      live.generation += 1;
      var fresh = event.detail.xhr && event.detail.xhr.getResponseHeader("ETag");
      if (fresh) { // the action's response already is the new state
        live.etag = fresh;
        live.version = Math.max(live.version, versionOf(fresh));
      }
    });

    // The countdown ran out: a second later (the server's clock has passed the end too),
    // fetch the whole state once, whatever the ETag says.
    el.addEventListener("live:countdown-over", function () {
      if (live.source) refetchSoon(live, 1000);
      else window.setTimeout(function () { live.etag = null; }, 1000);
    });
    return live;
  }

  // Replace the element's content with a fragment (a poll's answer, a refetch, a `board` event).
  function swap(live, html, streamed) {
    if (html === live.lastHtml) return;
    var el = live.el;
    var before = tileCounts(el);
    live.lastHtml = html;
    el.innerHTML = html;
    if (el.querySelector("[data-live-reload]")) {
      window.location.reload();
      return;
    }
    if (streamed && live.offset !== null) {
      el.querySelectorAll("[data-countdown-end]").forEach(function (countdown) {
        countdown.setAttribute("data-offset", String(live.offset));
      });
    }
    updateCountdowns(el);
    markOverflow(el);
    markChanged(el, before);
    if (window.htmx) window.htmx.process(el);
  }

  // The end: a replaced projector link. Its fragment is shown, nothing more is asked.
  function showGone(live, html) {
    live.gone = true;
    if (live.source) live.source.close();
    live.el.innerHTML = html;
    setStatus("", false);
  }

  // GET data-live-url once: resolves "same" (304, or overtaken by the user), "new" or "gone"; rejects on failure.
  function fetchState(live, useEtag) {
    var headers = { "X-Live": "1" };
    if (useEtag && live.etag) headers["If-None-Match"] = live.etag;
    var sentAt = live.generation;
    return fetch(live.el.getAttribute("data-live-url"), { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 304) return "same";
        if (response.status === 410) {
          return response.text().then(function (html) { showGone(live, html); return "gone"; });
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        if (sentAt !== live.generation) return "same";
        var etag = response.headers.get("ETag");
        return response.text().then(function (html) {
          // Replace only what changed, so a button is not swapped under a finger for nothing.
          if (sentAt !== live.generation) return "same";
          live.etag = etag;
          live.version = Math.max(live.version, versionOf(etag));
          swap(live, html, false);
          return "new";
        });
      });
  }

  // Refetch the whole fragment once, soon (a stream said the page's state moved); a second call meanwhile is one.
  function refetchSoon(live, after) {
    if (live.refetching || live.gone) return;
    live.refetching = true;
    window.setTimeout(function () {
      fetchState(live, false)
        .catch(function () { /* the stream's next event asks again */ })
        .then(function () { live.refetching = false; });
    }, after + Math.random() * REFETCH_JITTER);
  }

  // afterFailure: the page already says the connection was lost (a stream that kept failing).
  function startPolling(live, afterFailure) {
    if (live.polling || live.gone) return;
    live.polling = true;
    var base = parseInt(live.el.getAttribute("data-live-interval"), 10) || 2000;
    var delay = base;
    var failures = afterFailure ? 1 : 0;

    function tick() {
      fetchState(live, true)
        .then(function () {
          if (live.gone) return;
          if (failures) setStatus("Live again.", false);
          failures = 0;
          delay = base;
        })
        .catch(function () {
          failures += 1;
          live.etag = null; // after a break, fetch the whole state, not "what changed"
          delay = Math.min(delay * 2, MAX_DELAY);
          setStatus("Connection lost — reconnecting in " + Math.round(delay / 1000) + " s…", true);
        })
        .then(function () {
          if (live.gone) return; // a replaced projector link: nothing more will come
          // A hidden tab (phone in a pocket) polls slowly.
          window.setTimeout(tick, document.hidden ? Math.max(delay, 10000) : delay);
        });
    }
    window.setTimeout(tick, delay);
  }

  // A `who` event: fill the who-lines the page has; refetch when its own state moved.
  function applyWho(live, data) {
    if (data.version < live.version) return; // older than the user's own action's answer
    live.version = data.version;
    var refetch = false;
    Object.keys(data.who).forEach(function (id) {
      var line = live.el.querySelector('[data-who="' + id + '"]');
      if (!line) return;
      var count = data.who[id][0];
      var wasAlone = line.getAttribute("data-count") === "1";
      if (live.who[id] !== data.who[id][1] || !line.hasAttribute("data-streamed")) {
        line.innerHTML = data.who[id][1]; // an open "and 12 more" stays open while its line is unchanged
        line.setAttribute("data-streamed", "");
        live.who[id] = data.who[id][1];
      }
      line.setAttribute("data-count", String(count));
      if (line.hasAttribute("data-ranked") && wasAlone !== (count === 1)) refetch = true;
    });
    var state = live.el.querySelector("[data-live-state]");
    if (state && state.getAttribute("data-live-state") !== data.state) refetch = true;
    if (refetch) refetchSoon(live, 0);
  }

  // Listen to data-live-stream; false when this browser cannot (the caller polls instead).
  function startStream(live) {
    var url = live.el.getAttribute("data-live-stream");
    if (!url || typeof window.EventSource !== "function" || live.gone) return false;
    var source = new window.EventSource(url);
    var failures = 0;
    live.source = source;

    function fallBack(afterFailure) {
      source.close();
      live.source = null;
      startPolling(live, afterFailure);
    }

    source.addEventListener("open", function () {
      if (failures) setStatus("Live again.", false);
      failures = 0;
    });
    source.addEventListener("error", function () {
      if (live.gone || live.source !== source) return;
      failures += 1;
      // CLOSED: the answer was not a stream (503: the server holds too many; 404), the browser gives up.
      if (source.readyState === window.EventSource.CLOSED || failures >= STREAM_FAILURES) {
        fallBack(failures > 1);
        return;
      }
      setStatus("Connection lost — reconnecting…", true);
    });
    source.addEventListener("board", function (event) { swap(live, event.data, true); });
    source.addEventListener("who", function (event) { applyWho(live, JSON.parse(event.data)); });
    source.addEventListener("replaced", function (event) { showGone(live, event.data); });
    source.addEventListener("bye", function () {
      source.close();
      live.source = null;
      startStream(live);
    });
    return true;
  }

  function updateCountdowns(root) {
    (root || document).querySelectorAll("[data-countdown-end]").forEach(function (el) {
      // The projector's clock may be off: count from the server's time at render.
      if (!el.hasAttribute("data-offset")) {
        el.setAttribute("data-offset", String(Date.parse(el.getAttribute("data-server-now")) - Date.now() || 0));
      }
      var now = Date.now() + parseInt(el.getAttribute("data-offset"), 10);
      // Rounded up, as the server renders it: "0:00" never shows before the end.
      var left = Math.max(0, Math.ceil((Date.parse(el.getAttribute("data-countdown-end")) - now) / 1000));
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      el.textContent = left ? minutes + ":" + (seconds < 10 ? "0" : "") + seconds : "Time's up";
      if (el.parentNode) el.parentNode.classList.toggle("countdown--over", left === 0);
      var was = el.getAttribute("data-left");
      el.setAttribute("data-left", String(left));
      if (left === 0 && was !== null && was !== "0") {
        if (el.hasAttribute("data-countdown-reload")) {
          window.location.reload();
          return;
        }
        el.dispatchEvent(new CustomEvent("live:countdown-over", { bubbles: true }));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-url]").forEach(function (el) {
      var live = setup(el);
      if (!startStream(live)) startPolling(live);
    });
    markOverflow(document);
    window.addEventListener("resize", function () { markOverflow(document); });
    updateCountdowns();
    window.setInterval(function () { updateCountdowns(); }, 1000);
  });
})();
