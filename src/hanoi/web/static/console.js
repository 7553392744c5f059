// Keeps the 24/7 console current without a reload: every 15 seconds (and whenever the tab
// comes back into view) it asks /console/queue for the queue and redraws the table; a
// request that was not there before is announced through the page's live region. Without
// JavaScript the page is the same, with its "refresh" link.
(function () {
  "use strict";
  var table = document.getElementById("console-queue");
  var news = document.getElementById("console-news");
  if (!table || !news || !window.fetch) { return; }
  var INTERVAL = 15000;
  var body = table.tBodies[0];
  var count = document.getElementById("console-count");
  var asOf = document.getElementById("console-as-of");
  var note = document.getElementById("console-live-note");
  var known = {};
  var timer = null;
  var stopped = false;
  var last = null;

  Array.prototype.forEach.call(body.rows, function (row) {
    var reference = row.getAttribute("data-reference");
    if (reference) { known[reference] = true; }
  });
  if (note) { note.hidden = false; }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  function link(href, text) {
    var a = el("a", text);
    a.href = href;
    return a;
  }

  // The times are shown as the server shows them: UTC, to the minute.
  function utc(iso) {
    var when = new Date(iso);
    var time = el("time", when.toISOString().slice(0, 16).replace("T", " ") + " UTC");
    time.setAttribute("datetime", iso);
    return time;
  }

  function cell(row, tag, label) {
    var c = el(tag);
    c.setAttribute("data-label", label);
    row.appendChild(c);
    return c;
  }

  function draw(item) {
    var row = el("tr", "", item.overdue ? "is-overdue" : "");
    row.setAttribute("data-reference", item.reference);
    var due = cell(row, "td", "Next deadline");
    if (item.deadline) {
      due.appendChild(document.createTextNode(item.deadline.label + ": "));
      due.appendChild(utc(item.deadline.due));
      if (item.overdue) {
        due.appendChild(document.createTextNode(" "));
        due.appendChild(el("strong", "OVERDUE", "flag overdue"));
      } else if (item.reminder) {
        due.appendChild(document.createTextNode(" "));
        due.appendChild(el("strong", "reminder due", "flag reminder"));
      }
    } else {
      due.appendChild(el("span", "none running", "muted"));
    }
    var ref = cell(row, "th", "Reference");
    ref.setAttribute("scope", "row");
    ref.appendChild(link(item.url, item.reference));
    ref.appendChild(el("br"));
    ref.appendChild(el("span", item.received ? "received" : "sent", "muted"));
    cell(row, "td", "Kind").textContent = item.title;
    var party = cell(row, "td", "Other State · authority");
    party.appendChild(link("/states/" + encodeURIComponent(item.state), item.state));
    party.appendChild(document.createTextNode(" · " + item.authority));
    var status = cell(row, "td", "Status");
    status.appendChild(el("span", item.status.replace(/_/g, " "), "status status-" + item.status));
    var urgent = cell(row, "td", "Urgent");
    urgent.appendChild(item.urgent ? el("strong", "urgent", "flag urgent") : el("span", "no", "muted"));
    var todo = cell(row, "td", "To do");
    if (item.actions.length) {
      todo.appendChild(link(item.url + "#actions", "Act on " + item.reference));
      todo.appendChild(el("br"));
      todo.appendChild(el("span", item.actions.join(", "), "muted"));
    } else {
      todo.appendChild(el("span", "waiting for the other State", "muted"));
    }
    return row;
  }

  function show(queue) {
    if (count) { count.textContent = String(queue.rows.length); }
    if (asOf) { asOf.textContent = ""; asOf.appendChild(utc(queue.as_of)); }
    // Redrawn only when something changed, so a link being focused keeps its focus.
    var drawn = JSON.stringify(queue.rows);
    if (drawn === last) { return; }
    last = drawn;
    var fresh = [];
    var now = {};
    body.textContent = "";
    queue.rows.forEach(function (item) {
      now[item.reference] = true;
      if (!known[item.reference]) { fresh.push(item); }
      body.appendChild(draw(item));
    });
    if (!queue.rows.length) {
      var empty = el("tr", "", "empty");
      var c = el("td", "The queue is empty: no open request.");
      c.colSpan = 7;
      empty.appendChild(c);
      body.appendChild(empty);
    }
    known = now;
    if (fresh.length) {
      news.textContent = fresh.map(function (item) {
        return "New " + (item.urgent ? "urgent " : "") + "request " + item.reference +
          " from " + item.state + ": " + item.title + ".";
      }).join(" ");
    }
  }

  function stop(message) {
    stopped = true;
    if (note) { note.hidden = true; }
    news.textContent = message;
  }

  function poll() {
    timer = null;
    if (stopped) { return; }
    fetch(table.getAttribute("data-queue"), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      cache: "no-store"
    }).then(function (response) {
      if (response.status === 401) {
        stop("Signed out: sign in again to see the queue.");
        return null;
      }
      if (!response.ok) { return null; }  // a passing fault: try again next time
      return response.json();
    }).then(function (queue) {
      if (queue) { show(queue); }
    }).catch(function () {
      // The node is unreachable for now; the next poll tries again.
    }).then(schedule);
  }

  function schedule() {
    if (!stopped && timer === null) { timer = window.setTimeout(poll, INTERVAL); }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && timer !== null) {
      window.clearTimeout(timer);
      poll();
    }
  });
  schedule();
})();
