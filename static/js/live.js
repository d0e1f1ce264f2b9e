/* courseproj live updates: poll a fragment with its ETag, swap it when it changed.
 *
 * An element with data-live-url is refreshed every data-live-interval ms. The
 * request carries If-None-Match, so an unchanged board costs the server one
 * small read and answers 304. On any failure (server restart, Wi-Fi blip) the
 * poller backs off (doubling, up to 15 s), forgets its ETag and, once the
 * server answers again, redraws the *full* state: the fragment replaces the
 * old one whole, so nothing is ever shown twice.
 * A fragment holding [data-live-reload] is final (a finished profiling job):
 * the page reloads once to show what follows, and polling stops.
 * Elements with data-countdown-end (an ISO time; data-server-now: the server's
 * clock when rendered) show the minutes and seconds left.
 */
(function () {
  "use strict";
  var MAX_DELAY = 15000;

  function setStatus(text, broken) {
    document.querySelectorAll("[data-live-status]").forEach(function (el) {
      el.textContent = text;
      el.classList.toggle("live-status--broken", broken);
    });
  }

  // Names that do not fit their tile fade out at the edge (only those: a full list stays crisp).
  function markOverflow(root) {
    root.querySelectorAll(".tile__names").forEach(function (names) {
      names.classList.toggle("tile__names--more", names.scrollHeight > names.clientHeight + 1);
    });
  }

  function startPolling(el) {
    var etag = el.getAttribute("data-live-etag") || null;
    var base = parseInt(el.getAttribute("data-live-interval"), 10) || 2000;
    var delay = base;
    var failures = 0;
    var lastHtml = null;
    // Bumped when the user's own htmx action redraws part of the element: a
    // poll sent before that must not paint its older state over the newer one.
    var generation = 0;

    el.addEventListener("htmx:afterRequest", function (event) {
      generation += 1;
      var fresh = event.detail.xhr && event.detail.xhr.getResponseHeader("ETag");
      if (fresh) etag = fresh; // the action's response already is the new state
    });

    function tick() {
      var headers = { "X-Live": "1" };
      if (etag) headers["If-None-Match"] = etag;
      var sentAt = generation;
      fetch(el.getAttribute("data-live-url"), { headers: headers, cache: "no-store", credentials: "same-origin" })
        .then(function (response) {
          if (response.status === 304) return null;
          if (!response.ok) throw new Error("HTTP " + response.status);
          if (sentAt !== generation) return null;
          etag = response.headers.get("ETag");
          return response.text();
        })
        .then(function (html) {
          // Replace only what changed, so a button is not swapped under a finger for nothing.
          if (html !== null && sentAt === generation && html !== lastHtml) {
            lastHtml = html;
            el.innerHTML = html;
            if (el.querySelector("[data-live-reload]")) {
              window.location.reload();
              return;
            }
            markOverflow(el);
            if (window.htmx) window.htmx.process(el);
          }
          if (failures) setStatus("Live again.", false);
          failures = 0;
          delay = base;
        })
        .catch(function () {
          failures += 1;
          etag = null; // after a break, fetch the whole state, not "what changed"
          delay = Math.min(delay * 2, MAX_DELAY);
          setStatus("Connection lost — reconnecting in " + Math.round(delay / 1000) + " s…", true);
        })
        .then(function () {
          // A hidden tab (phone in a pocket) polls slowly.
          window.setTimeout(tick, document.hidden ? Math.max(delay, 10000) : delay);
        });
    }
    window.setTimeout(tick, delay);
  }

  function updateCountdowns() {
    document.querySelectorAll("[data-countdown-end]").forEach(function (el) {
      // The projector's clock may be off: count from the server's time at render.
      if (!el.hasAttribute("data-offset")) {
        el.setAttribute("data-offset", String(Date.parse(el.getAttribute("data-server-now")) - Date.now() || 0));
      }
      var now = Date.now() + parseInt(el.getAttribute("data-offset"), 10);
      var left = Math.max(0, Math.round((Date.parse(el.getAttribute("data-countdown-end")) - now) / 1000));
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      el.textContent = left ? minutes + ":" + (seconds < 10 ? "0" : "") + seconds : "Time's up";
      el.classList.toggle("countdown--over", left === 0);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-url]").forEach(startPolling);
    markOverflow(document);
    window.addEventListener("resize", function () { markOverflow(document); });
    updateCountdowns();
    window.setInterval(updateCountdowns, 1000);
  });
})();
