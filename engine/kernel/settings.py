"""Lotse's settings: the one reader of the ``LOTSE_*`` environment variables, with safe defaults for the
embedded set-up under ``instance/``.

The web app and the CLI (``Settings``) create missing keys and secret in the instance folder; a scheduled
job's process (``JobSettings``) creates nothing and refuses to start without keys. What a job reads on
each run (mail server, attempts, base URL, retention) is read when it runs.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.store.vault import new_key_entry

DEFAULT_LAND = "NW"
DEFAULT_SESSION_MINUTES = 30
DEFAULT_SESSION_HOURS = 10  # a working day: the absolute lifetime of a signed-in session
DEFAULT_RATE_LIMIT_STORAGE = "memory://"
DEFAULT_LOGIN_RATE_LIMIT = "20/minute;200/hour"
DEFAULT_CODE_RATE_LIMIT = "5/minute;30/hour"  # second-factor codes per person
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
DEFAULT_SENDER = "lotse@localhost"


def instance_path_from_environment() -> Path:
    """The instance folder: ``LOTSE_INSTANCE``, by default ``./instance``."""
    return Path(os.environ.get("LOTSE_INSTANCE") or Path.cwd() / "instance")


@dataclass(frozen=True)
class Settings:
    """The web app's and the CLI's settings."""

    instance_path: Path
    database_url: str
    keyring: str
    secret_key: str
    land: str
    session_minutes: int
    session_hours: int = DEFAULT_SESSION_HOURS
    secure_cookies: bool | None = None  # None: not set, Secure except on the loopback development server
    rate_limit_storage: str = DEFAULT_RATE_LIMIT_STORAGE
    login_rate_limit: str = DEFAULT_LOGIN_RATE_LIMIT
    proxy_hops: int = 0
    second_factor: bool = True
    code_rate_limit: str = DEFAULT_CODE_RATE_LIMIT
    index_key: str = ""  # base64: the blind index's own key (phone numbers, e-mail addresses, code words)

    @classmethod
    def from_environment(cls, instance_path: Path) -> Settings:
        """Read from the environment; missing keys and secret are created under ``instance_path``."""
        instance_path.mkdir(parents=True, exist_ok=True)
        return cls(
            instance_path=instance_path,
            database_url=_database_url(instance_path),
            keyring=_keyring(instance_path, create=True),
            secret_key=os.environ.get("LOTSE_SECRET_KEY")
            or _local_secret(instance_path / "secret_key", lambda: secrets.token_urlsafe(48)),
            land=_land(),
            session_minutes=int(os.environ.get("LOTSE_SESSION_MINUTES", str(DEFAULT_SESSION_MINUTES))),
            session_hours=int(os.environ.get("LOTSE_SESSION_HOURS", str(DEFAULT_SESSION_HOURS))),
            secure_cookies=_flag("LOTSE_SECURE_COOKIES"),
            rate_limit_storage=os.environ.get("LOTSE_RATE_LIMIT_STORAGE") or DEFAULT_RATE_LIMIT_STORAGE,
            login_rate_limit=os.environ.get("LOTSE_LOGIN_RATE_LIMIT") or DEFAULT_LOGIN_RATE_LIMIT,
            proxy_hops=int(os.environ.get("LOTSE_PROXY_HOPS", "0")),
            second_factor=_flag("LOTSE_SECOND_FACTOR") is not False,
            code_rate_limit=os.environ.get("LOTSE_CODE_RATE_LIMIT") or DEFAULT_CODE_RATE_LIMIT,
            index_key=os.environ.get("LOTSE_INDEX_KEY")
            or _local_secret(
                instance_path / "index_key", lambda: base64.urlsafe_b64encode(os.urandom(32)).decode()
            ),
        )


@dataclass(frozen=True)
class JobSettings:
    """What a scheduled job's process builds the engine from: database, encryption keys, Land."""

    instance_path: Path
    database_url: str
    keyring: str
    land: str

    @classmethod
    def from_environment(cls) -> JobSettings:
        """Read from the environment; nothing is created: without ``LOTSE_KEYS`` the keys must already
        be in the instance folder (RuntimeError otherwise)."""
        instance = instance_path_from_environment()
        return cls(instance, _database_url(instance), _keyring(instance, create=False), _land())

    def environment(self) -> dict[str, str]:
        """The variables that hand these settings to a job's process (read back by ``from_environment``)."""
        return {
            "LOTSE_INSTANCE": str(self.instance_path),
            "LOTSE_DATABASE_URL": self.database_url,
            "LOTSE_KEYS": self.keyring,
            "LOTSE_LAND": self.land,
        }


@dataclass(frozen=True)
class SmtpSettings:
    """The mail server the outbox delivers through."""

    host: str
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    sender: str = DEFAULT_SENDER
    timeout: float = 30.0

    @classmethod
    def from_environment(cls) -> SmtpSettings | None:
        """``LOTSE_SMTP_HOST`` and friends; None when no mail server is configured."""
        host = os.environ.get("LOTSE_SMTP_HOST", "").strip()
        if not host:
            return None
        port = int(os.environ.get("LOTSE_SMTP_PORT", "587"))
        starttls = _flag("LOTSE_SMTP_STARTTLS")
        return cls(
            host=host,
            port=port,
            starttls=port == 587 if starttls is None else starttls,
            username=os.environ.get("LOTSE_SMTP_USER") or None,
            password=os.environ.get("LOTSE_SMTP_PASSWORD") or None,
            sender=os.environ.get("LOTSE_MAIL_FROM", DEFAULT_SENDER),
            timeout=float(os.environ.get("LOTSE_SMTP_TIMEOUT", "30")),
        )


@dataclass(frozen=True)
class ImapSettings:
    """One IMAP account the mail intake reads (``LOTSE_IMAP_*``); several folders possible."""

    host: str
    port: int = 993
    tls: bool = True
    user: str = ""
    password: str = ""
    folders: tuple[str, ...] = ("INBOX",)
    timeout: float = 60.0
    max_bytes: int = 25 * 1024 * 1024
    max_attachments: int = 20

    @classmethod
    def from_environment(cls, prefix: str = "LOTSE_IMAP") -> ImapSettings | None:
        """``LOTSE_IMAP_HOST`` (none: the intake is off), ``_PORT``, ``_TLS`` (on), ``_USER``, ``_PASSWORD``,
        ``_FOLDER`` (comma-separated, default INBOX), ``_MAX_BYTES``, ``_MAX_ATTACHMENTS``."""
        host = os.environ.get(f"{prefix}_HOST", "").strip()
        if not host:
            return None
        tls = _flag(f"{prefix}_TLS") is not False
        folders = tuple(
            f.strip() for f in os.environ.get(f"{prefix}_FOLDER", "INBOX").split(",") if f.strip()
        )
        return cls(
            host=host,
            port=int(os.environ.get(f"{prefix}_PORT", "993" if tls else "143")),
            tls=tls,
            user=os.environ.get(f"{prefix}_USER", ""),
            password=os.environ.get(f"{prefix}_PASSWORD", ""),
            folders=folders or ("INBOX",),
            max_bytes=int(os.environ.get(f"{prefix}_MAX_BYTES", str(cls.max_bytes))),
            max_attachments=int(os.environ.get(f"{prefix}_MAX_ATTACHMENTS", str(cls.max_attachments))),
        )


def imap_accounts() -> list[ImapSettings]:
    """Every configured mailbox: ``LOTSE_IMAP_*``, then ``LOTSE_IMAP2_*`` … ``LOTSE_IMAP9_*``."""
    prefixes = ["LOTSE_IMAP"] + [f"LOTSE_IMAP{n}" for n in range(2, 10)]
    return [found for prefix in prefixes if (found := ImapSettings.from_environment(prefix)) is not None]


def portal_secrets() -> dict[str, str]:
    """``LOTSE_PORTAL_SECRETS``: ``portal:secret`` pairs (comma-separated) for the intake API's signatures."""
    pairs = (entry.partition(":") for entry in os.environ.get("LOTSE_PORTAL_SECRETS", "").split(","))
    return {name.strip(): secret.strip() for name, _, secret in pairs if name.strip() and secret.strip()}


def mail_max_attempts(default: int) -> int:
    """``LOTSE_MAIL_MAX_ATTEMPTS``: delivery attempts before an e-mail is given up on."""
    return int(os.environ.get("LOTSE_MAIL_MAX_ATTEMPTS", str(default)))


def base_url() -> str:
    """``LOTSE_BASE_URL``: where Lotse is reached, for links in e-mails (without a trailing slash)."""
    return os.environ.get("LOTSE_BASE_URL", DEFAULT_BASE_URL).rstrip("/")


def retention_months(default: int) -> int:
    """``LOTSE_RETENTION_MONTHS``: how long a closed case keeps its content."""
    return int(os.environ.get("LOTSE_RETENTION_MONTHS", str(default)))


def statistics_threshold(default: int) -> int:
    """``LOTSE_STATISTICS_THRESHOLD``: the smallest count statistics publish (disclosure control, at least 2)."""
    return max(2, int(os.environ.get("LOTSE_STATISTICS_THRESHOLD", str(default))))


def break_glass_hours(default: int = 8) -> float:
    """``LOTSE_BREAK_GLASS_HOURS``: how long a break-glass access to a case lasts."""
    return float(os.environ.get("LOTSE_BREAK_GLASS_HOURS", str(default)))


def migration_database_url() -> str:
    """``LOTSE_DATABASE_URL`` for Alembic run on its own, without Lotse around it: it must be set."""
    return os.environ["LOTSE_DATABASE_URL"]


def migration_keyring() -> str:
    """The encryption keys for Alembic run on its own: ``LOTSE_KEYS`` or the instance folder's (none created)."""
    return _keyring(instance_path_from_environment(), create=False)


def _database_url(instance_path: Path) -> str:
    return os.environ.get("LOTSE_DATABASE_URL") or f"sqlite:///{instance_path / 'lotse.db'}"


def _flag(name: str) -> bool | None:
    """A yes/no variable: None when it is not set (the caller's default applies)."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return None
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def _land() -> str:
    return os.environ.get("LOTSE_LAND", DEFAULT_LAND)


def _keyring(instance_path: Path, create: bool) -> str:
    """``LOTSE_KEYS``, else the keys kept in the instance folder, created on first use if ``create``."""
    keyring = os.environ.get("LOTSE_KEYS")
    if keyring:
        return keyring
    key_file = instance_path / "keys"
    if not create and not key_file.exists():
        raise RuntimeError(f"No encryption keys: set LOTSE_KEYS or create {key_file} (lotse db upgrade).")
    return _local_secret(key_file, lambda: new_key_entry("k1"))


def _local_secret(path: Path, make: Callable[[], str]) -> str:
    """A secret kept in the instance folder (readable by the owner only), created on first use."""
    if not path.exists():
        value = make()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(value)
    return path.read_text().strip()
