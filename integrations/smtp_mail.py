"""The outbox's mail port over SMTP (smtplib): STARTTLS and credentials from the settings
(``engine.kernel.settings.SmtpSettings``, read from the environment)."""

from __future__ import annotations

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
