// Progressive enhancement for the request form: re-check the draft as it is filled in and
// list what is still missing. The form works the same without it ("Save and check").
(function () {
  "use strict";
  var form = document.getElementById("draft");
  var box = document.getElementById("live-check");
  if (!form || !box || !window.fetch) { return; }
  var timer = null;

  function show(result) {
    box.textContent = "";
    var heading = document.createElement("p");
    if (result.parse_error) {
      heading.className = "alert";
      heading.textContent = "As typed: " + result.parse_error;
      box.appendChild(heading);
      return;
    }
    var problems = result.problems || [];
    heading.className = result.ok ? "ok" : "";
    heading.textContent = problems.length === 0
      ? "As typed: complete."
      : "As typed: " + result.errors + " error(s), " + result.warnings + " warning(s).";
    box.appendChild(heading);
    var list = document.createElement("ul");
    problems.forEach(function (p) {
      var item = document.createElement("li");
      item.className = p.severity;
      item.textContent = (p.path || "document") + ": " + p.message + " (" + p.article + ")";
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function check() {
    fetch(form.dataset.checkUrl, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (result) { if (result) { show(result); } })
      .catch(function () { /* offline or server busy: the submit button still works */ });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 600);
  });
})();
