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
 * A 410 answer (a projector link that was replaced) is final too: its fragment
 * is shown in place of the board and polling stops.
 * Elements with data-countdown-end (an ISO time; data-server-now: the server's
 * clock when rendered) show the minutes and seconds left. The server renders
 * the same text, and a redraw ticks the new countdown at once, so it never
 * blanks. When one reaches zero, its poller refetches the whole state once
 * (the server closed the picks: phones lose their buttons), and a countdown
 * marked data-countdown-reload reloads its page (the instructor's controller).
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

  function startPolling(el) {
    var etag = el.getAttribute("data-live-etag") || null;
    var base = parseInt(el.getAttribute("data-live-interval"), 10) || 2000;
    var delay = base;
    var failures = 0;
    var lastHtml = null;
    // Bumped when the user's own htmx action redraws part of the element: a
    // poll sent before that must not paint its older state over the newer one.
    var generation = 0;

    // The countdown ran out: a second later (the server's clock has passed the end too),
    // fetch the whole state once, whatever the ETag says.
    el.addEventListener("live:countdown-over", function () {
      window.setTimeout(function () { etag = null; }, 1000);
    });

    el.addEventListener("htmx:afterRequest", function (event) {
      generation += 1;
      var fresh = event.detail.xhr && event.detail.xhr.getResponseHeader("ETag");
      if (fresh) etag = fresh; // the action's response already is the new state
    });

    function tick() {
      var headers = { "X-Live": "1" };
      if (etag) headers["If-None-Match"] = etag;
      var sentAt = generation;
      var gone = false;
      fetch(el.getAttribute("data-live-url"), { headers: headers, cache: "no-store", credentials: "same-origin" })
        .then(function (response) {
          if (response.status === 304) return null;
          if (response.status === 410) {
            gone = true;
            return response.text();
          }
          if (!response.ok) throw new Error("HTTP " + response.status);
          if (sentAt !== generation) return null;
          etag = response.headers.get("ETag");
          return response.text();
        })
        .then(function (html) {
          // Replace only what changed, so a button is not swapped under a finger for nothing.
          if (gone) {
            el.innerHTML = html;
            setStatus("", false);
            return;
          }
          if (html !== null && sentAt === generation && html !== lastHtml) {
            var before = tileCounts(el);
            lastHtml = html;
            el.innerHTML = html;
            if (el.querySelector("[data-live-reload]")) {
              window.location.reload();
              return;
            }
            updateCountdowns(el);
            markOverflow(el);
            markChanged(el, before);
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
          if (gone) return; // a replaced projector link: nothing more will come
          // A hidden tab (phone in a pocket) polls slowly.
          window.setTimeout(tick, document.hidden ? Math.max(delay, 10000) : delay);
        });
    }
    window.setTimeout(tick, delay);
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
    document.querySelectorAll("[data-live-url]").forEach(startPolling);
    markOverflow(document);
    window.addEventListener("resize", function () { markOverflow(document); });
    updateCountdowns();
    window.setInterval(function () { updateCountdowns(); }, 1000);
  });
})();
