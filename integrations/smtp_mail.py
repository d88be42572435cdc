"""The outbox's mail port over SMTP (smtplib): STARTTLS and credentials from the settings
(``engine.kernel.settings.SmtpSettings``, read from the environment)."""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from engine.kernel.outbox import DeliveryFailed, Mail
from engine.kernel.settings import SmtpSettings


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
        if mail.in_reply_to:
            message["In-Reply-To"] = mail.in_reply_to
            message["References"] = mail.in_reply_to
        message.set_content(mail.body)
        try:
            with smtplib.SMTP(self.settings.host, self.settings.port, timeout=self.settings.timeout) as smtp:
                if self.settings.starttls:
                    smtp.starttls(context=self.tls_context)
                if self.settings.username:
                    smtp.login(self.settings.username, self.settings.password or "")
                refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            reasons = sorted(_reason(*reply) for reply in error.recipients.values())
            raise DeliveryFailed(f"recipients refused: {reasons}", permanent=True) from error
        except smtplib.SMTPDataError as error:  # the server rejected this message's content
            permanent = 500 <= error.smtp_code < 600
            raise DeliveryFailed(_reason(error.smtp_code, error.smtp_error), permanent) from error
        except smtplib.SMTPResponseException as error:  # login, TLS, sender: our configuration, so retry
            raise DeliveryFailed(_reason(error.smtp_code, error.smtp_error)) from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"{error.__class__.__name__}: {without_addresses(str(error))}") from error
        if refused:
            reasons = sorted(_reason(*reply) for reply in refused.values())
            raise DeliveryFailed(f"recipients refused: {reasons}", permanent=True)


# The failure is kept in clear with the outbox row (the administrators' dead-letter list): a mail server's
# answer often repeats the recipient, and a person's address must not stand there (README, "Keys and what
# stays in clear"), so every address in it is replaced.
_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")


def without_addresses(text: str) -> str:
    return _ADDRESS.sub("<Adresse/address>", text)


def _reason(code: int, answer: bytes | str) -> str:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer
    return f"SMTP {code}: {without_addresses(text)}"
