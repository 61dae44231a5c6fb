"""Swagger UI from the installed `swagger-ui-bundle` package: offline, and CSP-clean.

FastAPI's own page loads its assets from a CDN and starts Swagger UI with an inline script,
which our Content-Security-Policy forbids; here the assets are package files and the start-up
script is a file of ours.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>idgap API</title>
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="{openapi}"></div>
  <script src="{assets}/swagger-ui-bundle.js"></script>
  <script src="{docs}/start.js"></script>
</body>
</html>
"""
START_JS = """window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
"""


def install_docs(app: FastAPI, prefix: str) -> None:
    """GET {prefix}/docs (the page), {prefix}/docs/start.js and {prefix}/docs/assets/*."""
    docs, assets = f"{prefix}/docs", f"{prefix}/docs/assets"
    openapi = app.openapi_url or f"{prefix}/openapi.json"
    page = PAGE.format(assets=assets, docs=docs, openapi=openapi)

    @app.get(docs, include_in_schema=False)
    def swagger_page() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get(f"{docs}/start.js", include_in_schema=False)
    def swagger_start() -> Response:
        return Response(START_JS, media_type="text/javascript")

    app.mount(assets, StaticFiles(directory=str(swagger_ui_path)), name="swagger-assets")
