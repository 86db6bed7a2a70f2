// Hindsight: the pages work without this script. It adds local times, the
// keyboard entry box and the live timeline.
(function () {
  "use strict";

  // Times: tell the server our zone for the next pages, and show this
  // page's times in it if the server did not know it yet.
  var zone = "UTC";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { /* old browser */ }
  if (document.cookie.indexOf("tz=" + zone) === -1) {
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
  }
  var formats = {
    clock: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
    datetime: { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
    date: { weekday: "short", month: "short", day: "numeric", year: "numeric" }
  };
  function localTimes(root) {
    if (document.documentElement.dataset.tz === zone) { return; }
    root.querySelectorAll("time[data-fmt]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      var f = formats[t.dataset.fmt];
      if (!isNaN(d) && f) { t.textContent = d.toLocaleString(undefined, f); }
    });
  }
  localTimes(document);

  // Forms that ask before they destroy something: with a dialog here, in
  // place of the box that a page without script has to be ticked.
  document.querySelectorAll("form[data-confirm] label.sure").forEach(function (l) {
    l.querySelector("input").checked = true;
    l.hidden = true;
  });
  document.addEventListener("submit", function (e) {
    var msg = e.target.dataset && e.target.dataset.confirm;
    if (msg && !window.confirm(msg)) { e.preventDefault(); }
  }, true);
  document.querySelectorAll("input[data-select]").forEach(function (i) {
    i.addEventListener("focus", function () { i.select(); });
  });

  var entryForm = document.getElementById("entry-form");
  var body = document.body;

  // "n" focuses the entry box, wherever the reader is on the page.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "n" || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) { return; }
    var t = e.target;
    if (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) { return; }
    var text = document.getElementById("entry-text");
    if (text) { e.preventDefault(); text.focus(); text.scrollIntoView({ block: "center" }); }
  });

  // Live: merge a fresh copy of the page into this one. Regions marked
  // data-live are replaced, unless the reader is working in them; the
  // timeline (data-live="list") is merged entry by entry, by id and
  // version, so that open entries and the scroll position stay put.
  var refreshing = false, again = false;
  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(location.href, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html) { merge(new DOMParser().parseFromString(html, "text/html")); } })
      .catch(function () { /* the stream reconnects and refreshes again */ })
      .then(function () {
        refreshing = false;
        if (again) { again = false; refresh(); }
      });
  }
  function busy(el) {
    return el.contains(document.activeElement) || el.querySelector("details[open]") !== null;
  }
  function merge(doc) {
    document.querySelectorAll("[data-live]").forEach(function (el) {
      var fresh = doc.getElementById(el.id);
      if (!fresh) { return; }
      if (el.dataset.live === "list") { mergeList(el, fresh); return; }
      if (!busy(el) && el.innerHTML !== fresh.innerHTML) {
        el.innerHTML = fresh.innerHTML;
        localTimes(el);
      }
    });
  }
  function mergeList(list, fresh) {
    var old = {};
    Array.prototype.forEach.call(list.children, function (n) { old[n.id] = n; });
    var prev = null;
    Array.prototype.slice.call(fresh.children).forEach(function (n) {
      var cur = old[n.id];
      if (cur) {
        delete old[n.id];
        if (cur.dataset.v !== n.dataset.v && !busy(cur)) {
          n = document.importNode(n, true);
          cur.replaceWith(n);
          cur = n;
          localTimes(cur);
        }
      } else {
        cur = document.importNode(n, true);
        cur.classList.add("fresh");
        localTimes(cur);
      }
      var want = prev ? prev.nextSibling : list.firstChild;
      if (want !== cur) { list.insertBefore(cur, want); }
      prev = cur;
    });
    Object.keys(old).forEach(function (id) { old[id].remove(); });
  }

  if (body.dataset.stream && window.EventSource) {
    var es, timer = null, opened = false;
    var schedule = function () {
      if (timer) { return; }
      timer = setTimeout(function () { timer = null; refresh(); }, 100);
    };
    es = new EventSource(body.dataset.stream);
    es.addEventListener("change", schedule);
    es.addEventListener("resync", schedule);
    es.addEventListener("open", function () {
      // After a dropped connection, catch up on what was missed.
      if (opened) { schedule(); }
      opened = true;
      body.dataset.live = "connected";
    });
    es.addEventListener("error", function () { body.dataset.live = "reconnecting"; });
  }

  // The entry box: Enter saves, Shift+Enter starts a new line. Saving
  // keeps the page and the focus, so that entries can be typed one after
  // another; the new entry arrives like anybody else's.
  if (entryForm) {
    var text = document.getElementById("entry-text");
    text.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        if (paused && !text.value.trim()) {
          resume(); // an empty box does not pass the form's checks
          return;
        }
        entryForm.requestSubmit();
      }
    });
    // An entry leaves the box as it is sent, so that the next one can be
    // typed at once; entries are sent one at a time, in order. One that
    // is refused comes back into the box, with its time, kind and star,
    // ahead of what was typed since, beside the reason; those queued after
    // it wait, each still an entry of its own, until it is sent again.
    var at = document.getElementById("entry-at");
    var kind = document.getElementById("entry-kind");
    var star = document.getElementById("entry-highlight");
    var queue = [], sending = false, paused = false;
    var clearErrors = function () { entryForm.querySelectorAll(".error").forEach(function (n) { n.remove(); }); };
    var giveBack = function () {
      var item = queue.shift();
      paused = true;
      text.value = item.text + (text.value.trim() ? "\n" + text.value : "");
      at.value = item.data.get("at") || "";
      if (kind && item.data.get("kind")) { kind.value = item.data.get("kind"); }
      if (star) { star.checked = item.data.get("highlight") === "1"; }
      return queue.length ? " " + queue.length + (queue.length === 1 ? " more entry waits" : " more entries wait") + " to be saved after it." : "";
    };
    // The refused entry cleared away: the ones that waited go on.
    var resume = function () {
      paused = false;
      clearErrors();
      send();
    };
    window.addEventListener("beforeunload", function (e) {
      if (queue.length || (paused && text.value.trim())) { e.preventDefault(); e.returnValue = ""; }
    });
    var say = function (message) {
      var msg = document.createElement("p");
      msg.className = "error";
      msg.setAttribute("role", "alert");
      msg.textContent = message;
      text.closest(".field").appendChild(msg);
    };
    var send = function () {
      if (sending || paused || !queue.length) { return; }
      sending = true;
      fetch(entryForm.action, { method: "POST", body: queue[0].data, redirect: "manual", credentials: "same-origin" })
        .then(function (r) {
          if (r.type === "opaqueredirect" || (r.status >= 200 && r.status < 400)) {
            queue.shift();
            refresh();
            return;
          }
          return r.text().then(function (html) {
            var waiting = giveBack();
            clearErrors();
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.getElementById("entry-form");
            if (fresh) {
              fresh.querySelectorAll(".error").forEach(function (err) {
                var field = err.closest(".field");
                var input = field && field.querySelector("input, textarea, select");
                var mine = input && document.getElementById(input.id);
                if (mine) { mine.closest(".field").appendChild(document.importNode(err, true)); }
              });
              if (waiting) { say("Not saved." + waiting); }
              return;
            }
            // Not the page with the form: an ended session, a refusal or
            // a failure. Its message goes beside the text, which stays.
            var said = doc.querySelector("main p, section p");
            say(((said && said.textContent.trim()) || ("Not saved: the server answered " + r.status + ".")) + waiting);
          });
        })
        .catch(function () {
          var waiting = giveBack();
          clearErrors();
          say("Not saved: the server could not be reached. Press Enter to try again." + waiting);
        })
        .then(function () {
          sending = false;
          send();
        });
    };
    entryForm.addEventListener("submit", function (e) {
      if (e.defaultPrevented) { return; }
      e.preventDefault();
      if (!text.value.trim()) {
        if (paused) { resume(); }
        return;
      }
      clearErrors();
      var item = { data: new URLSearchParams(new FormData(entryForm)), text: text.value };
      if (paused) {
        // The refused entry, sent again: ahead of those that waited.
        queue.unshift(item);
        paused = false;
      } else {
        queue.push(item);
      }
      text.value = "";
      at.value = "";
      text.focus();
      send();
    });
  }
})();
