// Uploads files from the request page into the node's staging folder for the request, with a
// progress bar per file, and resumes where the node stands after a network error or a
// reload: each piece goes with the offset the node last acknowledged ("Upload-Offset"); a
// 409 answer tells the right offset; the upload's id is kept in sessionStorage under the
// request, the file's name, size and date, so choosing the same file again goes on. A file
// the node completed joins the list of staged files, ticked for sealing. Also: "Seal and
// deliver" says "Sealing…" while the node seals. Without this script the page says that
// uploading needs it; the staged files and the seal form work all the same. The words come
// from the page (#page-text and the seal form's data-*), in the page's language.
(function () {
  "use strict";
  var sealForm = document.getElementById("seal-form");
  var sealButton = document.getElementById("seal-button");
  var words = document.getElementById("page-text");
  var say = words ? JSON.parse(words.textContent) : null;

  // A sentence of the page's with its %(name)s places filled in.
  function fill(message, values) {
    return message.replace(/%\((\w+)\)s/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

  // The confirmation (static/confirm.js) names the files that will leave, as ticked now.
  function nameChosen() {
    if (!sealForm) { return; }
    var chosen = Array.prototype.filter.call(
      document.querySelectorAll('input[form="seal-form"][name="files"]'),
      function (box) { return box.checked; }
    ).map(function (box) { return box.value; });
    var files = chosen.length
      ? chosen.join(sealForm.getAttribute("data-separator") || ", ")
      : sealForm.getAttribute("data-no-file");
    sealForm.setAttribute("data-confirm", fill(sealForm.getAttribute("data-confirm-files"), {
      files: files
    }));
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.getAttribute("form") === "seal-form") { nameChosen(); }
  });
  nameChosen();

  if (sealForm && sealButton) {
    sealForm.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }  // the confirmation was declined
      sealButton.textContent = sealForm.getAttribute("data-busy");
      sealButton.setAttribute("aria-disabled", "true");
      window.setTimeout(function () { sealButton.disabled = true; }, 0);  // after it is sent
    });
  }

  var form = document.getElementById("upload-form");
  if (!form || !say || !window.fetch || !window.Blob || !window.sessionStorage) { return; }
  var input = document.getElementById("upload-files");
  var list = document.getElementById("upload-progress");
  var news = document.getElementById("upload-news");
  var note = document.getElementById("upload-needs-script");
  var staged = document.getElementById("staged-files");
  var start = form.getAttribute("data-start");
  var csrf = form.getAttribute("data-csrf");
  var reference = form.getAttribute("data-reference");
  var piece = parseInt(form.getAttribute("data-piece"), 10) || 8388608;
  var MIN_PIECE = 1048576;
  var SLOW_MS = 20000;  // a piece slower than this: halve the next ones (body timeout 60 s)
  var RETRIES = 6;
  var CHUNK_TYPE = "application/offset+octet-stream";
  var busy = false;

  form.hidden = false;
  if (note) { note.hidden = true; }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  function tell(message) { news.textContent = message; }

  function key(file) {
    return "hanoi-upload:" + reference + ":" + file.name + ":" + file.size + ":" + file.lastModified;
  }

  function wait(ms) { return new Promise(function (resolve) { window.setTimeout(resolve, ms); }); }

  function request(url, options) {
    options.credentials = "same-origin";
    options.cache = "no-store";
    options.redirect = "manual";  // a redirect means signed out: never follow it with a PATCH
    return fetch(url, options).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 401) {
        throw new Error(say.signed_out);
      }
      return response;
    });
  }

  function refusal(response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("json") < 0) {
      return Promise.resolve(new Error(fill(say.refused_http, { status: response.status })));
    }
    return response.json().then(function (body) {
      return new Error(body.detail || body.title || fill(say.refused_http, { status: response.status }));
    }, function () { return new Error(fill(say.refused_http, { status: response.status })); });
  }

  function offsetOf(response, fallback) {
    var value = parseInt(response.headers.get("Upload-Offset"), 10);
    return isNaN(value) ? fallback : value;
  }

  // Where the node stands with upload ``id``; null if it no longer knows it.
  function askOffset(id) {
    return request(start + "/" + encodeURIComponent(id), { method: "HEAD" }).then(function (r) {
      return r.ok ? offsetOf(r, 0) : null;
    });
  }

  function create(file) {
    var body = new URLSearchParams();
    body.set("name", file.name);
    body.set("size", String(file.size));
    body.set("csrf_token", csrf);
    return request(start, { method: "POST", body: body }).then(function (response) {
      if (response.status !== 201) { return refusal(response).then(function (e) { throw e; }); }
      return response.json().then(function (upload) {
        window.sessionStorage.setItem(key(file), upload.id);
        return upload;
      });
    });
  }

  function begin(file) {
    var saved = window.sessionStorage.getItem(key(file));
    if (!saved) { return create(file); }
    return askOffset(saved).then(function (offset) {
      if (offset === null) {
        window.sessionStorage.removeItem(key(file));
        return create(file);
      }
      return { id: saved, name: file.name, size: file.size, offset: offset };
    });
  }

  function row(file) {
    var item = el("li");
    var id = "upload-" + list.children.length;
    var label = el("label", file.name);
    label.htmlFor = id;
    var bar = el("progress");
    bar.id = id;
    bar.max = file.size;
    bar.value = 0;
    var status = el("span", say.waiting, "muted");
    item.appendChild(label);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(bar);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(status);
    list.appendChild(item);
    return {
      show: function (done, text) {
        bar.value = done;
        var percent = file.size ? Math.floor(done * 100 / file.size) : 100;
        bar.textContent = percent + " %";
        status.textContent = text || percent + " %";
      },
      fail: function (text) { status.textContent = text; status.className = "alert"; }
    };
  }

  function addStaged(name, size) {
    if (!staged) { return; }
    var body = staged.tBodies[0];
    Array.prototype.forEach.call(body.querySelectorAll("tr.empty"), function (tr) { tr.remove(); });
    var tr = el("tr");
    var tick = el("td");
    var box = el("input");
    box.type = "checkbox";
    box.name = "files";
    box.value = name;
    box.checked = true;
    box.id = "stage-new-" + body.rows.length;
    box.setAttribute("form", "seal-form");
    tick.appendChild(box);
    var th = el("th");
    th.scope = "row";
    var label = el("label", name, "inline");
    label.htmlFor = box.id;
    th.appendChild(label);
    tr.appendChild(tick);
    tr.appendChild(th);
    tr.appendChild(el("td", String(size)));
    tr.appendChild(el("td", say.uploaded_now, "muted"));
    body.appendChild(tr);
    nameChosen();
  }

  // Send the rest of ``file`` from ``upload.offset``; resolves once the node has it all.
  function send(file, upload, ui) {
    var url = start + "/" + encodeURIComponent(upload.id);
    var offset = upload.offset;
    var failures = 0;
    ui.show(offset);

    function next() {
      if (offset >= file.size) { return Promise.resolve(); }
      var end = Math.min(offset + piece, file.size);
      var began = Date.now();
      return request(url, {
        method: "PATCH",
        headers: { "Upload-Offset": String(offset), "Content-Type": CHUNK_TYPE, "X-CSRF-Token": csrf },
        body: file.slice(offset, end)
      }).then(function (response) {
        if (response.status === 204) {
          offset = offsetOf(response, end);
          failures = 0;
          if (Date.now() - began > SLOW_MS && piece > MIN_PIECE) { piece = Math.floor(piece / 2); }
          ui.show(offset);
          return next();
        }
        if (response.status === 409 || response.status === 408) {  // go on where the node is
          offset = offsetOf(response, offset);
          ui.show(offset);
          return next();
        }
        if (response.status === 423 || response.status >= 500) {
          throw new TypeError("busy");  // retried below, like a network error
        }
        return refusal(response).then(function (e) { e.final = true; throw e; });
      }).catch(function (error) {
        if (error.final || !(error instanceof TypeError) || failures >= RETRIES) { throw error; }
        failures += 1;
        ui.show(offset, say.retrying);
        return wait(1000 * failures).then(function () {
          return askOffset(upload.id);
        }).then(function (held) {
          if (held === null) { throw new Error(say.given_up); }
          offset = held;
          return next();
        });
      });
    }
    return next();
  }

  function uploadOne(file) {
    var ui = row(file);
    return begin(file).then(function (upload) {
      if (upload.offset) { tell(fill(say.going_on, { name: file.name, bytes: upload.offset })); }
      return send(file, upload, ui).then(function () {
        window.sessionStorage.removeItem(key(file));
        ui.show(file.size, say.uploaded);
        addStaged(upload.name, file.size);
        tell(fill(say.staged, { name: file.name }));
      });
    }).catch(function (error) {
      var text = fill(say.not_uploaded, {
        why: error instanceof TypeError ? say.unreachable : error.message
      });
      ui.fail(text);
      tell(fill(say.file_news, { name: file.name, text: text }));
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy || !input.files.length) { return; }
    busy = true;
    var files = Array.prototype.slice.call(input.files);
    var chain = Promise.resolve();
    files.forEach(function (file) {
      chain = chain.then(function () { return uploadOne(file); });
    });
    chain.then(function () {
      busy = false;
      input.value = "";
    });
  });
})();
