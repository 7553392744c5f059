// Starts Swagger UI on /api/docs. A file of its own, not an inline script, so that the
// node's Content-Security-Policy (script-src 'self') can stay as strict as on every page.
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
