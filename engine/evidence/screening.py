"""Screening an uploaded file by its content: the detected type decides, never the name.

Refused: empty or oversized files, executables and any type not on the list, SVG and HTML (they can
carry script), PDFs with JavaScript or launch actions, archives that expand beyond a bound (zip bombs).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from io import BytesIO

import filetype

from engine.kernel.errors import DomainError

MAX_BYTES = 10 * 1024 * 1024
MAX_EXPANDED_BYTES = 50 * 1024 * 1024  # what an office document may unpack to
MAX_ARCHIVE_MEMBERS = 2000
IMAGES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
DOCUMENTS = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
}
OFFICE_ARCHIVES = {t for t, ext in DOCUMENTS.items() if ext != "pdf"}
PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")
PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)
MARKUP = re.compile(rb"<\s*(svg|html|script|!doctype\s+html|\?xml)", re.IGNORECASE)
MAIL_HEADERS = ("from", "date", "subject", "message-id", "received")


class EvidenceRefused(DomainError):
    code = "evidence_refused"


@dataclass(frozen=True)
class Screened:
    media_type: str
    extension: str

    @property
    def is_image(self) -> bool:
        return self.media_type in IMAGES


def screen(data: bytes) -> Screened:
    """The file's type by content, or EvidenceRefused with a message for the counsellor."""
    if not data:
        raise EvidenceRefused("Die Datei ist leer.", "The file is empty.")
    if len(data) > MAX_BYTES:
        raise EvidenceRefused(
            f"Die Datei ist zu groß (höchstens {MAX_BYTES // (1024 * 1024)} MB).",
            f"The file is too large (at most {MAX_BYTES // (1024 * 1024)} MB).",
        )
    kind = filetype.guess(data)
    if kind is None:
        return _text(data)
    media_type = kind.mime
    if media_type in IMAGES:
        return Screened(media_type, IMAGES[media_type])
    if media_type == "application/pdf":
        _refuse_active_pdf(data)
        return Screened(media_type, "pdf")
    if media_type in OFFICE_ARCHIVES:
        _refuse_bomb(data)
        return Screened(media_type, DOCUMENTS[media_type])
    if media_type in ("application/x-msdownload", "application/x-executable", "application/x-mach-binary"):
        raise EvidenceRefused(
            "Die Datei ist ein Programm (ausführbare Datei), egal wie sie heißt – sie wird nicht angenommen.",
            "The file is a program (an executable), whatever its name – it is not accepted.",
        )
    if media_type == "application/zip":
        raise EvidenceRefused(
            "Archive (ZIP) werden nicht angenommen. Bitte die einzelnen Dateien anhängen.",
            "Archives (ZIP) are not accepted. Please attach the files one by one.",
        )
    raise _unsupported()


def _unsupported() -> EvidenceRefused:
    return EvidenceRefused(
        "Dieser Dateityp wird nicht angenommen. Erlaubt sind Bilder (PNG, JPEG, GIF, WebP), PDF, "
        "E-Mails (.eml), Text und Office-Dokumente (DOCX, XLSX, ODT, ODS).",
        "This file type is not accepted. Allowed are images (PNG, JPEG, GIF, WebP), PDF, e-mails (.eml), "
        "text and office documents (DOCX, XLSX, ODT, ODS).",
    )


def _text(data: bytes) -> Screened:
    """Plain text or an e-mail; markup (SVG, HTML) can carry script and is refused."""
    if MARKUP.search(data[:4096]):
        raise EvidenceRefused(
            "SVG- und HTML-Dateien werden nicht angenommen, weil sie Skripte enthalten können. "
            "Bitte als Screenshot (PNG) oder PDF speichern.",
            "SVG and HTML files are not accepted because they can contain scripts. "
            "Please save them as a screenshot (PNG) or PDF.",
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise _unsupported() from None
    if b"\x00" in data:
        raise _unsupported()
    headers = BytesHeaderParser().parsebytes(data[:65536])
    if sum(1 for name in MAIL_HEADERS if headers.get(name)) >= 2:
        return Screened("message/rfc822", "eml")
    return Screened("text/plain", "txt")


def _refuse_active_pdf(data: bytes) -> None:
    """JavaScript, launch actions or embedded files anywhere, also in compressed streams or escaped names."""
    if _pdf_active(data):
        raise EvidenceRefused(
            "Das PDF enthält aktive Inhalte (JavaScript, Startaktionen oder eingebettete Dateien) und wird "
            "nicht angenommen. Bitte als Bild oder „Drucken als PDF“ neu speichern.",
            "The PDF contains active content (JavaScript, launch actions or embedded files) and is not "
            "accepted. Please save it again as an image or with 'print to PDF'.",
        )


def _pdf_active(data: bytes) -> bool:
    def normalised(chunk: bytes) -> bytes:
        return PDF_NAME_ESCAPE.sub(lambda found: bytes([int(found.group(1), 16)]), chunk)

    if PDF_ACTIVE.search(normalised(data)):
        return True
    budget = MAX_EXPANDED_BYTES
    for found in PDF_STREAM.finditer(data):
        inflater = zlib.decompressobj()
        try:
            expanded = inflater.decompress(found.group(1), budget)
        except zlib.error:
            continue
        budget -= len(expanded)
        if PDF_ACTIVE.search(normalised(expanded)):
            return True
        if budget <= 0:
            return True  # a PDF that inflates this far is refused as well
    return False


def _refuse_bomb(data: bytes) -> None:
    """Unpack for real (the sizes an archive declares can lie), stopping at the bound."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_ARCHIVE_MEMBERS:
                raise _bomb()
            left = MAX_EXPANDED_BYTES
            for member in members:
                with archive.open(member) as stream:
                    while chunk := stream.read(1024 * 1024):
                        left -= len(chunk)
                        if left < 0:
                            raise _bomb()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, zlib.error):
        raise EvidenceRefused(
            "Das Dokument ist beschädigt und kann nicht geprüft werden.",
            "The document is damaged and cannot be checked.",
        ) from None


def _bomb() -> EvidenceRefused:
    return EvidenceRefused(
        "Das Dokument entpackt sich zu einer unzumutbar großen Datenmenge (mögliche „Zip-Bombe“) und wird "
        "nicht angenommen.",
        "The document unpacks to an unreasonable amount of data (a possible 'zip bomb') and is not accepted.",
    )
