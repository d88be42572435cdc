"""The limit on login attempts per client address (``LOTSE_LOGIN_RATE_LIMIT``) and on second-factor codes
per person (``LOTSE_CODE_RATE_LIMIT``), counted with the ``limits``
library in a storage every web process shares (``LOTSE_RATE_LIMIT_STORAGE``: ``memory://`` counts per
process, ``redis://host:port`` across all of them)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import time

from flask import Flask, current_app, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)


class LoginLimit:
    """Attempts per client within moving windows (``20/minute;200/hour``)."""

    def __init__(self, storage_uri: str, limits_text: str, namespace: str = "login") -> None:
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self.items = parse_many(limits_text)
        self.namespace = namespace

    def hit(self, client: str) -> int | None:
        """Count an attempt by this client; None if it is within the limit, else the seconds to wait.
        If the storage cannot be reached the attempt is let through (the growing delays per account
        and address in the database still hold) and the failure is logged."""
        try:
            for item in self.items:
                if not self.limiter.hit(item, self.namespace, client):
                    reset = self.limiter.get_window_stats(item, self.namespace, client).reset_time
                    return max(1, math.ceil(reset - time.time()))
        except Exception:  # the storage's own errors (redis connection …) differ by backend
            log.exception("login rate limit storage failed; attempt allowed")
        return None


def client_address() -> str:
    """The client's address as the limits see it: IPv6 clients by their /64 network (one line's share)."""
    address = request.remote_addr or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6 and parsed.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def client_digest() -> str:
    """A keyed digest of the client address: neither the database nor the limit storage sees it in clear."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, client_address().encode(), hashlib.sha256).hexdigest()


def seconds_to_wait() -> int | None:
    """Count this login attempt against its client's limit; None if allowed, else seconds to wait."""
    return current_app.extensions["lotse_login_limit"].hit(client_digest())


def seconds_to_wait_for_code(staff_id: int) -> int | None:
    """Count a second-factor code attempt against the person's limit (``LOTSE_CODE_RATE_LIMIT``)."""
    return current_app.extensions["lotse_code_limit"].hit(f"staff:{staff_id}")


def init_app(app: Flask) -> None:
    storage = app.config["LOTSE_RATE_LIMIT_STORAGE"]
    app.extensions["lotse_login_limit"] = LoginLimit(storage, app.config["LOTSE_LOGIN_RATE_LIMIT"])
    app.extensions["lotse_code_limit"] = LoginLimit(storage, app.config["LOTSE_CODE_RATE_LIMIT"], "code")
