"""IMAP adapter for the mail intake (``engine.channels.mail_intake.MailboxReader``), on the stdlib imaplib."""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl

from engine.kernel.settings import ImapSettings

TAKEN_FLAG = "$LotseTaken"
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_UID_SIZE = re.compile(rb"UID (\d+)|RFC822\.SIZE (\d+)")
_UID = re.compile(rb"UID (\d+)")


class ImapMailbox:
    """One folder of one IMAP account; use as a context manager."""

    def __init__(self, settings: ImapSettings, folder: str) -> None:
        self.settings = settings
        self.folder = folder
        self.name = f"{settings.user}@{settings.host}:{settings.port}/{folder}"
        self._client: imaplib.IMAP4 | None = None

    def __enter__(self) -> ImapMailbox:
        s = self.settings
        if s.tls:
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                s.host, s.port, ssl_context=ssl.create_default_context(), timeout=s.timeout
            )
        else:
            client = imaplib.IMAP4(s.host, s.port, timeout=s.timeout)
        client.login(s.user, s.password)
        self._client = client
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._client is not None:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                self._client.logout()
            self._client = None

    @property
    def client(self) -> imaplib.IMAP4:
        assert self._client is not None, "use ImapMailbox as a context manager"
        return self._client

    def open(self) -> int:
        status, _ = self.client.select(_quoted(self.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot select folder {self.folder!r}")
        _, data = self.client.status(_quoted(self.folder), "(UIDVALIDITY)")
        found = _UIDVALIDITY.search(b" ".join(d for d in data if isinstance(d, bytes)))
        return int(found.group(1)) if found else 0

    def pending(self, after_uid: int) -> list[tuple[int, int]]:
        _, data = self.client.uid("FETCH", f"{after_uid + 1}:*", "(RFC822.SIZE)")
        found: dict[int, int] = {}
        for line in data:
            text = line[0] if isinstance(line, tuple) else line
            if not isinstance(text, bytes):
                continue
            uid = size = None
            for match in _UID_SIZE.finditer(text):
                uid = int(match.group(1)) if match.group(1) else uid
                size = int(match.group(2)) if match.group(2) else size
            if uid is not None and uid > after_uid:  # "n:*" also answers with the last message below n
                found[uid] = size or 0
        return sorted(found.items())

    def fetch(self, uid: int) -> bytes:
        _, data = self.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
        for part in data:
            if isinstance(part, tuple) and len(part) > 1:
                return bytes(part[1])
        return b""  # gone meanwhile or empty: taken as a 0-byte message

    def fetch_many(self, uids: list[int]) -> dict[int, bytes]:
        """Many messages in one UID FETCH; a UID gone meanwhile is missing from the answer."""
        if not uids:
            return {}
        _, data = self.client.uid("FETCH", ",".join(str(uid) for uid in uids), "(UID BODY.PEEK[])")
        found: dict[int, bytes] = {}
        wanted = set(uids)
        for part in data:
            if isinstance(part, tuple) and len(part) > 1:
                uid = _UID.search(part[0])
                if uid is not None and int(uid.group(1)) in wanted:
                    found[int(uid.group(1))] = bytes(part[1])
        return found

    def mark_taken(self, uids: list[int]) -> None:
        for start in range(0, len(uids), 500):
            chunk = ",".join(str(uid) for uid in uids[start : start + 500])
            self.client.uid("STORE", chunk, "+FLAGS.SILENT", f"({TAKEN_FLAG} \\Seen)")


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
