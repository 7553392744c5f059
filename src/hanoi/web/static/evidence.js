// Keeps the request page's evidence packages current while one is on its way: every 3
// seconds (and when the tab comes back into view) it asks /requests/REF/packages and updates
// each package's status, progress bar and verification; it stops once none is moving. A
// package delivered or failed, or one not on the page yet, is announced through the live
// region. Without JavaScript the page shows the state it was loaded in; a reload shows more.
// The words come from the page (#page-text) and the node, in the page's language.
(function () {
  "use strict";
  var box = document.getElementById("evidence-packages");
  var news = document.getElementById("evidence-news");
  var words = document.getElementById("page-text");
  if (!box || !news || !words || !window.fetch) { return; }
  var say = JSON.parse(words.textContent);
  var url = box.getAttribute("data-live");
  if (!url) { return; }
  var INTERVAL = 3000;
  var timer = null;
  var said = {};

  // A sentence of the page's with its %(name)s places filled in.
  function fill(message, values) {
    return message.replace(/%\((\w+)\)s/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

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
        news.textContent = fill(say.new_package, { id: p.id });
      }
      return;
    }
    var status = s.querySelector(".package-status");
    var bar = s.querySelector("progress");
    var percent = s.querySelector(".package-percent");
    var verification = s.querySelector(".verification");
    var before = status ? status.getAttribute("data-status") || "" : "";
    if (status) {
      status.textContent = p.status_text;
      status.className = "flag " + p.status + " package-status";
      status.setAttribute("data-status", p.status);
    }
    if (bar) {
      bar.max = p.bytes_total || 1;
      bar.value = p.bytes_done;
      bar.textContent = p.percent_text + " %";
    }
    if (percent) { percent.textContent = p.progress_text; }
    if (verification) { verification.textContent = p.verification; }
    if (before && before !== p.status && (p.status === "delivered" || p.status === "failed")) {
      news.textContent = fill(say.package_news, { id: p.id, status: p.status_text });
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
