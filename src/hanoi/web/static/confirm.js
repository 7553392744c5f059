// Refuse, release and withdraw cannot be undone: ask once more before the form is sent.
// Without this script the form's required "I confirm" box asks instead; with it, the box
// is ticked by the answer to the question, so the officer answers once, not twice.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
    var box = form.querySelector('input[name="confirm"]');
    if (box) {
      box.required = false; // a hidden required box would block the form unseen
      box.parentNode.hidden = true;
    }
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        return;
      }
      if (box) { box.checked = true; }
    });
  });
})();
