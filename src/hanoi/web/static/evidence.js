// Keeps the request page's evidence packages current while one is on its way: every 3
// seconds (and when the tab comes back into view) it asks /requests/REF/packages and updates
// each package's status, progress bar and verification; it stops once none is moving. A
// package delivered or failed, or one not on the page yet, is announced through the live
// region. Without JavaScript the page shows the state it was loaded in; a reload shows more.
(function () {
  "use strict";
  var box = document.getElementById("evidence-packages");
  var news = document.getElementById("evidence-news");
  if (!box || !news || !window.fetch) { return; }
  var url = box.getAttribute("data-live");
  if (!url) { return; }
  var INTERVAL = 3000;
  var timer = null;
  var said = {};

  function section(id) {
    var found = null;
    Array.prototype.forEach.call(box.querySelectorAll("section.package"), function (s) {
      if (s.getAttribute("data-package") === id) { found = s; }
    });
    return found;
  }

  function update(p) {
    var s = section(p.id);
    if (!s) {
      if (!said[p.id]) {
        said[p.id] = true;
        news.textContent = "A new evidence package, " + p.id + ": reload the page to see it.";
      }
      return;
    }
    var status = s.querySelector(".package-status");
    var bar = s.querySelector("progress");
    var percent = s.querySelector(".package-percent");
    var verification = s.querySelector(".verification");
    var before = status ? status.getAttribute("data-status") || "" : "";
    if (status) {
      status.textContent = p.status_text.charAt(0).toUpperCase() + p.status_text.slice(1);
      status.className = "flag " + p.status + " package-status";
      status.setAttribute("data-status", p.status);
    }
    if (bar) {
      bar.max = p.bytes_total || 1;
      bar.value = p.bytes_done;
      bar.textContent = p.percent + " %";
    }
    if (percent) { percent.textContent = p.percent + " % of " + p.bytes_total + " bytes"; }
    if (verification) { verification.textContent = p.verification; }
    if (before && before !== p.status && (p.status === "delivered" || p.status === "failed")) {
      news.textContent = "Package " + p.id + ": " + p.status_text + ".";
    }
  }

  function poll() {
    timer = null;
    fetch(url, {
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      cache: "no-store",
      redirect: "manual"
    }).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 401 ||
          response.status === 404) {
        return "stop";  // signed out, or no longer allowed: a reload says more
      }
      if (!response.ok) { return null; }  // a passing fault: try again next time
      return response.json();
    }).then(function (state) {
      if (state === "stop") { return; }
      if (!state) { schedule(); return; }
      state.packages.forEach(update);
      if (state.in_transit) { schedule(); }
    }).catch(schedule);
  }

  function schedule() {
    if (timer === null) { timer = window.setTimeout(poll, INTERVAL); }
  }

  Array.prototype.forEach.call(box.querySelectorAll(".package-status"), function (s) {
    var flags = s.className.split(" ");
    s.setAttribute("data-status", flags[1] || "");
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && timer !== null) {
      window.clearTimeout(timer);
      poll();
    }
  });
  schedule();
})();
