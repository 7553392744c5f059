// Keeps the 24/7 console current without a reload: every 15 seconds (and whenever the tab
// comes back into view) it asks /console/queue for the queue and redraws the table; a
// request that was not there before is announced through the page's live region. Without
// JavaScript the page is the same, with its "refresh" link. The script's words come from the
// page (#page-text, in the page's language), and the queue's cells as the node words them.
(function () {
  "use strict";
  var table = document.getElementById("console-queue");
  var news = document.getElementById("console-news");
  var words = document.getElementById("page-text");
  if (!table || !news || !words || !window.fetch) { return; }
  var say = JSON.parse(words.textContent);
  var INTERVAL = 15000;
  var body = table.tBodies[0];
  var caption = table.caption;
  // Each cell is labelled (for narrow screens) as its column's heading says.
  var labels = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) {
    return th.textContent;
  });
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

  // A sentence of the page's with its %(name)s places filled in.
  function fill(message, values) {
    return message.replace(/%\((\w+)\)s/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

  // A moment as the node wrote it for this page (UTC, the page's language), ISO kept.
  function moment(iso, text) {
    var time = el("time", text);
    time.setAttribute("datetime", iso);
    return time;
  }

  function cell(row, tag, column) {
    var c = el(tag);
    c.setAttribute("data-label", labels[column] || "");
    row.appendChild(c);
    return c;
  }

  function bdi(text) { return el("bdi", text); }

  function draw(item) {
    var words = item.text;
    var row = el("tr", "", item.overdue ? "is-overdue" : "");
    row.setAttribute("data-reference", item.reference);
    var due = cell(row, "td", 0);
    if (item.deadline) {
      due.appendChild(document.createTextNode(words.deadline + ": "));
      due.appendChild(moment(item.deadline.due, words.due));
      if (item.overdue) {
        due.appendChild(document.createTextNode(" "));
        due.appendChild(el("strong", say.overdue, "flag overdue"));
      } else if (item.reminder) {
        due.appendChild(document.createTextNode(" "));
        due.appendChild(el("strong", say.reminder, "flag reminder"));
      }
    } else {
      due.appendChild(el("span", say.none, "muted"));
    }
    var ref = cell(row, "th", 1);
    ref.setAttribute("scope", "row");
    var refLink = link(item.url, item.reference);
    refLink.className = "ltr";
    ref.appendChild(refLink);
    ref.appendChild(el("br"));
    ref.appendChild(el("span", item.received ? say.received : say.sent, "muted"));
    cell(row, "td", 2).textContent = words.title;
    var party = cell(row, "td", 3);
    var stateLink = link("/states/" + encodeURIComponent(item.state), "");
    stateLink.appendChild(bdi(item.state));
    party.appendChild(stateLink);
    party.appendChild(document.createTextNode(" · "));
    party.appendChild(bdi(item.authority));
    var status = cell(row, "td", 4);
    status.appendChild(el("span", words.status, "status status-" + item.status));
    var urgent = cell(row, "td", 5);
    urgent.appendChild(item.urgent ? el("strong", say.urgent, "flag urgent") : el("span", say.not_urgent, "muted"));
    var todo = cell(row, "td", 6);
    if (item.actions.length) {
      todo.appendChild(link(item.url + "#actions", fill(say.act_on, { reference: item.reference })));
      todo.appendChild(el("br"));
      todo.appendChild(el("span", words.actions.join(say.separator), "muted"));
    } else {
      todo.appendChild(el("span", say.waiting, "muted"));
    }
    return row;
  }

  function show(queue) {
    if (caption) {
      // The caption in the plural form the new count asks for, the count in its own span.
      var count = el("span", queue.count_text);
      count.id = "console-count";
      caption.textContent = "";
      caption.appendChild(document.createTextNode(queue.caption[0]));
      caption.appendChild(count);
      caption.appendChild(document.createTextNode(queue.caption[1]));
    }
    if (asOf) { asOf.textContent = ""; asOf.appendChild(moment(queue.as_of, queue.as_of_text)); }
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
      var c = el("td", say.empty);
      c.colSpan = 7;
      empty.appendChild(c);
      body.appendChild(empty);
    }
    known = now;
    if (fresh.length) {
      news.textContent = fresh.map(function (item) {
        return fill(item.urgent ? say.new_urgent : say.new, {
          reference: item.reference, state: item.state, title: item.text.title
        });
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
        stop(say.signed_out);
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
