"""What the frame of every page needs: the signed CSRF token for its forms and the fixed URLs of its header."""

from __future__ import annotations

import time

from flask import current_app, g, request, session, url_for
from flask_wtf.csrf import generate_csrf

CSRF_REUSE_SECONDS = 60.0  # how long a signed CSRF token is handed out again (valid for WTF_CSRF_TIME_LIMIT)
CSRF_KEPT = 10_000  # signed tokens remembered per process before the memory starts afresh


def csrf_token() -> str:
    """The session's signed CSRF token as Flask-WTF makes it, but signed at most once a minute per
    session rather than on every page: a token signed a minute ago is as good as a new one."""
    if "csrf_token" in g:
        return g.csrf_token
    signed: dict[str, tuple[str, float]] = current_app.extensions.setdefault("lotse_csrf_tokens", {})
    raw = session.get("csrf_token")
    now = time.monotonic()
    known = signed.get(raw) if raw else None
    if known is not None and now - known[1] < CSRF_REUSE_SECONDS:
        g.csrf_token = known[0]  # where Flask-WTF's generate_csrf finds it, too
        return known[0]
    token = generate_csrf()
    if len(signed) >= CSRF_KEPT:
        signed.clear()
    signed[session["csrf_token"]] = (token, now)
    return token


class FixedUrls(dict[str, str]):
    """URLs that take no arguments from the request (``"inbox.inbox"``, ``"static:lotse.css"``), built
    on first use and then kept: the page header asks for a dozen on every page."""

    def __missing__(self, key: str) -> str:
        endpoint, _, filename = key.partition(":")
        found = self[key] = url_for(endpoint, filename=filename) if filename else url_for(endpoint)
        return found


def fixed_urls() -> FixedUrls:
    """The app's ``FixedUrls`` for the request's script root (the path under which the app is mounted)."""
    known = current_app.extensions.setdefault("lotse_fixed_urls", {})
    root = request.script_root
    found = known.get(root)
    if found is None:
        found = known[root] = FixedUrls()
    return found


def is_fragment_request() -> bool:
    """Whether htmx asks for a part of a page; a history restore (Back to an address htmx pushed, not in
    its cache) wants the whole page, header and navigation included."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")
