// Progressive enhancement for the request form. Without it the form works the same: plain
// selects, the browser's maxlength, "Save and check" lists what is missing.
// With it: a search box on long lists, languages narrowed to those the requested State
// accepts, the addressee of the chosen State, a live check once the officer has left a
// field, and size limits said before submitting instead of text cut short.
(function () {
  "use strict";
  var form = document.getElementById("draft");
  if (!form) { return; }
  var box = document.getElementById("live-check");
  var sizeBox = document.getElementById("size-check");
  var SEARCH_FROM = 8; // options: a shorter list is read at a glance
  // Every word this script shows comes from the page, in the page's language.
  var textBlock = document.getElementById("page-text");
  var TEXT = textBlock ? JSON.parse(textBlock.textContent) : {};

  function say(key, values) {
    return (TEXT[key] || "").replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && values[name] !== undefined ? String(values[name]) : whole;
    });
  }

  function num(n) { return n.toLocaleString(TEXT.locale || undefined); }

  function labelOf(field) {
    var label = field.id ? document.querySelector('label[for="' + field.id + '"]') : null;
    var text = label ? label.textContent : field.name;
    return text.replace(/\*\s*$/, "").trim();
  }

  // --- Pick lists: search, and languages filtered by the requested State ---------------
  function refilter(select) {
    var query = (select.dataset.query || "").toLowerCase();
    Array.prototype.forEach.call(select.options, function (option) {
      var matches = !query || option.text.toLowerCase().indexOf(query) !== -1;
      var allowed = option.dataset.excluded !== "1";
      option.hidden = !option.selected && option.value !== "" && !(matches && allowed);
    });
  }

  function addSearch(select) {
    var search = document.createElement("input");
    search.type = "search";
    search.className = "pick-search";
    search.setAttribute("aria-label", say("search", {label: labelOf(select)}));
    search.setAttribute("aria-controls", select.id);
    search.placeholder = say("search_placeholder");
    search.addEventListener("input", function () {
      select.dataset.query = search.value;
      refilter(select);
    });
    select.parentNode.insertBefore(search, select);
  }

  function languagesFor(stateSelect) {
    var chosen = stateSelect.options[stateSelect.selectedIndex];
    var langs = chosen && chosen.dataset.languages;
    return langs ? langs.split(" ") : null;
  }

  function filterLanguages() {
    var stateSelect = form.querySelector('select[name="requested_state"]');
    var langSelect = form.querySelector('select[name="language"]');
    if (!stateSelect || !langSelect) { return; }
    var accepted = languagesFor(stateSelect);
    Array.prototype.forEach.call(langSelect.options, function (option) {
      var excluded = accepted && option.value && accepted.indexOf(option.value) === -1;
      option.dataset.excluded = excluded ? "1" : "0";
    });
    refilter(langSelect);
  }

  function describeState(select) {
    var about = document.querySelector('[data-about="' + select.id + '"]');
    if (!about) { return; }
    var chosen = select.options[select.selectedIndex];
    var parts = [];
    if (chosen && chosen.dataset.authority) { parts.push(say("authority", {name: chosen.dataset.authority})); }
    if (chosen && chosen.dataset.contact) { parts.push(say("contact", {name: chosen.dataset.contact})); }
    about.textContent = parts.join(" · ");
  }

  Array.prototype.forEach.call(form.querySelectorAll("select.pick"), function (select) {
    if (select.options.length > SEARCH_FROM) { addSearch(select); }
    if (/_state$/.test(select.name)) {
      select.addEventListener("change", function () {
        describeState(select);
        if (select.name === "requested_state") { filterLanguages(); }
      });
    }
  });
  filterLanguages();

  // --- Size limits: said as the officer types, checked before submitting ----------------
  // The browser's maxlength would cut a long paste silently; here the whole paste stays in
  // the field, marked over the limit, and the form is not sent until it is shortened.
  function limitOf(field) { return parseInt(field.dataset.maxlength || "0", 10); }

  function showCount(field) {
    var limit = limitOf(field);
    var note = document.getElementById(field.id + "-count");
    var over = field.value.length > limit;
    if (!note && (over || field.value.length > limit * 0.8)) {
      note = document.createElement("p");
      note.id = field.id + "-count";
      note.className = "hint count";
      note.setAttribute("aria-live", "polite");
      field.parentNode.insertBefore(note, field.nextSibling);
    }
    if (note) {
      note.textContent = say(over ? "count_over" : "count",
        {count: num(field.value.length), limit: num(limit)});
      note.className = over ? "hint count problem error" : "hint count";
    }
    if (over) { field.setAttribute("aria-invalid", "true"); }
  }

  Array.prototype.forEach.call(form.querySelectorAll("[maxlength]"), function (field) {
    field.dataset.maxlength = field.getAttribute("maxlength");
    field.removeAttribute("maxlength");
    field.addEventListener("input", function () { showCount(field); });
  });

  function utf8Length(text) {
    return window.TextEncoder ? new TextEncoder().encode(text).length : text.length * 3;
  }

  function sizeProblems() {
    var problems = [];
    var documentBytes = 0;
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.name === "csrf_token" || typeof field.value !== "string") { return; }
      documentBytes += utf8Length(field.value) + field.name.length;
      var limit = limitOf(field);
      if (limit && field.value.length > limit) {
        problems.push(say("field_over",
          {label: labelOf(field), count: num(field.value.length), limit: num(limit)}));
      }
    });
    var maxDocument = parseInt(form.dataset.maxDocument, 10);
    if (documentBytes > maxDocument) {
      problems.push(say("document_over", {bytes: num(documentBytes), limit: num(maxDocument)}));
    }
    var body = new URLSearchParams(new FormData(form)).toString().length;
    if (!problems.length && body > parseInt(form.dataset.maxBody, 10)) {
      problems.push(say("body_over", {bytes: num(body)}));
    }
    return problems;
  }

  form.addEventListener("submit", function (event) {
    var problems = sizeProblems();
    if (!sizeBox) { return; }
    sizeBox.textContent = "";
    if (!problems.length) { return; }
    event.preventDefault(); // nothing leaves the page, and nothing typed is lost
    var heading = document.createElement("p");
    heading.className = "alert";
    heading.textContent = say("not_saved");
    sizeBox.appendChild(heading);
    var list = document.createElement("ul");
    problems.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    sizeBox.appendChild(list);
  });

  // --- The live check: only once the officer has left a field ----------------------------
  if (!box || !window.fetch || form.dataset.signedOut) { return; }
  var timer = null;
  var started = false;

  function show(result) {
    box.textContent = "";
    var heading = document.createElement("p");
    var list = document.createElement("ul");
    if (result.parse_error) {
      heading.className = "alert";
      heading.textContent = say("cannot_save");
      (result.issues || []).forEach(function (issue) {
        var item = document.createElement("li");
        item.className = "error";
        item.textContent = issue.message;
        list.appendChild(item);
      });
    } else {
      var problems = result.problems || [];
      heading.className = result.ok ? "ok" : "";
      heading.textContent = problems.length === 0
        ? say("complete")
        : say("counts", {errors: num(result.errors), warnings: num(result.warnings)});
      problems.forEach(function (p) {
        var item = document.createElement("li");
        item.className = p.severity;
        // "said" and "label" are in the page's language (the server words them).
        item.textContent = say("problem", {
          label: p.label || say("document"), problem: p.said || p.message, article: p.article
        }) + (p.basis === "platform" ? " — " + say("platform") : "");
        list.appendChild(item);
      });
    }
    box.appendChild(heading);
    box.appendChild(list);
  }

  function sessionEnded() {
    box.textContent = "";
    var note = document.createElement("p");
    note.className = "alert";
    note.textContent = say("session");
    box.appendChild(note);
  }

  function check() {
    fetch(form.dataset.checkUrl, {
      method: "POST", body: new FormData(form), credentials: "same-origin", redirect: "manual"
    })
      .then(function (r) {
        var json = (r.headers.get("content-type") || "").indexOf("application/json") === 0;
        if (r.ok && json) { return r.json(); }
        if (r.type === "opaqueredirect" || r.status === 401 || r.status === 403) { sessionEnded(); }
        return null;
      })
      .then(function (result) { if (result) { show(result); } })
      .catch(function () { /* offline or server busy: the submit button still works */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 600);
  }

  // "change" fires when a changed field is left (or a list picked from): the officer has
  // said something, so the check may speak. Before that a blank form shows no errors.
  form.addEventListener("change", function () {
    started = true;
    form.dataset.live = "on"; // said on the form, so a reader (or a test) can tell
    later();
  });
  form.addEventListener("input", function () { if (started) { later(); } });
})();
