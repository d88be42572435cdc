"""Security headers on every response (Flask-Talisman), ``no-store`` on everything that is not a static
file, and the session cookie's flags (``Secure`` outside development)."""

from __future__ import annotations

import gzip
import ipaddress
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flask import Flask, request
from flask_talisman import Talisman
from werkzeug.wrappers import Response

# No inline script or style: scripts and styles come from Lotse's own static files (the npm bundle);
# bpmn-js shows its logo as a data: image; fetches only go to Lotse itself.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# The process owners' model editors (no case data on them) embed bpmn-js-properties-panel and dmn-js,
# which set style attributes, and CodeMirror (dmn-js' expression editor), which adds <style> elements:
# there inline styles are allowed. Scripts stay 'self' everywhere.
EDITOR_POLICY = {**CONTENT_SECURITY_POLICY, "style-src": "'self' 'unsafe-inline'"}
# A model file (BPMN, DMN) is data that process owners upload: it may carry an XHTML <script> element. It is
# only ever fetched by the viewer and the editors, never shown as a document: served as a download, and should
# a browser open it anyway, it may load nothing and runs sandboxed (no script, a unique origin).
MODEL_FILE_POLICY = {"default-src": "'none'", "frame-ancestors": "'none'", "sandbox": ""}
PERMISSIONS_POLICY = {"camera": "()", "microphone": "()", "geolocation": "()", "payment": "()"}
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def _no_store(response: Response) -> Response:
    """Pages and files that may show case data are never kept by a browser or a proxy; the static
    assets (styles, the script bundle) are public and may be cached."""
    if request.endpoint not in ("static", "favicon"):
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("HX-Request")  # htmx gets a fragment where the address alone gives a page
    return response


def editor_styles(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a model editor's page: it gets ``EDITOR_POLICY`` (inline styles, never inline script)."""
    view.talisman_view_options = {"content_security_policy": EDITOR_POLICY}  # type: ignore[attr-defined]
    return view


def model_file(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view that serves a model file: it gets ``MODEL_FILE_POLICY``."""
    view.talisman_view_options = {"content_security_policy": MODEL_FILE_POLICY}  # type: ignore[attr-defined]
    return view


def model_file_response(data: bytes, file_name: str) -> Response:
    """A model file as a download: never rendered by a browser as a page (it could carry script), still
    readable by the viewer's and the editors' ``fetch``."""
    response = Response(data, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def diagram_response(data: bytes) -> Response:
    """A process version's BPMN for the viewer, compressed where the browser accepts it: a model is
    hundreds of kilobytes of XML (like every page that names a case, it is not kept by the browser)."""
    response = model_file_response(data, "prozess.bpmn")
    if request.accept_encodings["gzip"]:
        response.set_data(_gzipped(data))
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


@lru_cache(maxsize=32)
def _gzipped(data: bytes) -> bytes:
    """Compressed once per model (the caller passes the same bytes object each time: its hash is kept)."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def is_loopback(host: str) -> bool:
    """Whether a server bound to ``host`` can only be reached from this machine."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def secure_cookies(setting: bool | None) -> bool:
    """``LOTSE_SECURE_COOKIES`` if set; otherwise on (``lotse serve`` on a loopback address turns it off,
    see ``development_server``)."""
    return True if setting is None else setting


def development_server(app: Flask, host: str) -> bool:
    """``lotse serve`` (what ``make run`` starts) on a loopback address over plain HTTP is development:
    unless ``LOTSE_SECURE_COOKIES`` says otherwise, the cookie goes without ``Secure`` there, so a browser
    keeps it on http://127.0.0.1:5000. Returns whether it did so."""
    if app.config.get("LOTSE_SECURE_COOKIES") is not None or not is_loopback(host):
        return False
    app.config["SESSION_COOKIE_SECURE"] = False
    return True


def init_app(app: Flask) -> None:
    Talisman(
        app,
        force_https=False,  # TLS ends at the reverse proxy in production; HSTS is sent when it is used
        frame_options="DENY",
        strict_transport_security=True,
        strict_transport_security_include_subdomains=False,
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="no-referrer",
        permissions_policy=PERMISSIONS_POLICY,
        session_cookie_secure=False,  # the flag is Lotse's own setting (SESSION_COOKIE_SECURE), not forced
        x_xss_protection=False,  # obsolete; the CSP does its job
    )
    app.after_request(_no_store)
