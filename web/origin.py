"""Requests that change something must come from Lotse's own pages: checked before the CSRF token.

Browsers say where a request comes from in ``Sec-Fetch-Site`` (which no page can forge) and ``Origin``.
Under ``Referrer-Policy: no-referrer`` a browser sends ``Origin: null`` even for Lotse's own forms, so
``Sec-Fetch-Site`` decides then; a real origin must be Lotse's own (the request's scheme and host, or
``LOTSE_BASE_URL``); without either header the ``Referer``, if any, must be. A request with none of them
(no browser) still needs its CSRF token. Flask-WTF checks the Referer only over HTTPS; this check holds
over plain HTTP too.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request
from werkzeug.exceptions import Forbidden

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
OWN_SITE = frozenset({"same-origin", "none"})  # "none": the person typed it or used a bookmark
DEFAULT_PORTS = {"http": 80, "https": 443}


class CrossOriginRequest(Forbidden):
    """A state-changing request sent from another site (answered 403 by ``web.errors``)."""


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname or port is None:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


def _trusted(url: str) -> bool:
    own = {_origin(request.host_url), _origin(current_app.config.get("LOTSE_BASE_URL") or "")}
    found = _origin(url)
    return found is not None and found in own


def check_origin() -> None:
    """Before every request: refuse a state-changing one from another site with 403."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    site = request.headers.get("Sec-Fetch-Site")
    if origin and origin != "null":
        sent_from_here = _trusted(origin)
    elif site:
        sent_from_here = site in OWN_SITE
    elif origin == "null":
        sent_from_here = False
    else:
        referer = request.headers.get("Referer")
        sent_from_here = not referer or _trusted(referer)
    if not sent_from_here:
        raise CrossOriginRequest()
