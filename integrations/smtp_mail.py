"""The outbox's mail port over SMTP (smtplib): STARTTLS and credentials from the environment."""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from engine.kernel.outbox import DeliveryFailed, Mail


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    sender: str = "lotse@localhost"
    timeout: float = 30.0

    @classmethod
    def from_environment(cls) -> SmtpSettings | None:
        """``LOTSE_SMTP_HOST`` and friends; None when no mail server is configured."""
        host = os.environ.get("LOTSE_SMTP_HOST", "").strip()
        if not host:
            return None
        port = int(os.environ.get("LOTSE_SMTP_PORT", "587"))
        starttls = os.environ.get("LOTSE_SMTP_STARTTLS", "true" if port == 587 else "false")
        return cls(
            host=host,
            port=port,
            starttls=starttls.strip().lower() in ("1", "true", "yes", "on"),
            username=os.environ.get("LOTSE_SMTP_USER") or None,
            password=os.environ.get("LOTSE_SMTP_PASSWORD") or None,
            sender=os.environ.get("LOTSE_MAIL_FROM", "lotse@localhost"),
            timeout=float(os.environ.get("LOTSE_SMTP_TIMEOUT", "30")),
        )


class SmtpMailSender:
    """One SMTP conversation per mail; failures become DeliveryFailed (permanent: recipient or content refused)."""

    def __init__(self, settings: SmtpSettings, tls_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.tls_context = tls_context or ssl.create_default_context()

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = ", ".join(mail.recipients)
        message["Subject"] = mail.subject
        message["Message-ID"] = mail.message_id
        message["Date"] = formatdate(localtime=False)
        message.set_content(mail.body)
        try:
            with smtplib.SMTP(self.settings.host, self.settings.port, timeout=self.settings.timeout) as smtp:
                if self.settings.starttls:
                    smtp.starttls(context=self.tls_context)
                if self.settings.username:
                    smtp.login(self.settings.username, self.settings.password or "")
                refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryFailed(f"recipients refused: {sorted(error.recipients)}", permanent=True) from error
        except smtplib.SMTPDataError as error:  # the server rejected this message's content
            permanent = 500 <= error.smtp_code < 600
            raise DeliveryFailed(f"SMTP {error.smtp_code}: {error.smtp_error!r}", permanent) from error
        except smtplib.SMTPResponseException as error:  # login, TLS, sender: our configuration, so retry
            raise DeliveryFailed(f"SMTP {error.smtp_code}: {error.smtp_error!r}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"{error.__class__.__name__}: {error}") from error
        if refused:
            raise DeliveryFailed(f"recipients refused: {sorted(refused)}", permanent=True)
