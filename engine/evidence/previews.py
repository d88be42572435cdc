"""Thumbnails of image evidence: decoded and re-encoded as a plain PNG, so nothing active or hidden survives."""

from __future__ import annotations

from io import BytesIO

from PIL import Image, UnidentifiedImageError

from engine.evidence.screening import EvidenceRefused

MAX_PIXELS = 40_000_000
SIZE = (320, 320)


def thumbnail(data: bytes) -> bytes:
    """A PNG of at most 320×320 pixels without metadata; refuses images that do not decode or are huge."""
    try:
        with Image.open(BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise EvidenceRefused(
                    "Das Bild ist zu groß (zu viele Bildpunkte).", "The image is too large (too many pixels)."
                )
            image.seek(0)
            image.thumbnail(SIZE)
            plain = image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise EvidenceRefused(
            "Das Bild ist beschädigt und kann nicht angezeigt werden.",
            "The image is damaged and cannot be displayed.",
        ) from None
    out = BytesIO()
    plain.save(out, format="PNG")
    return out.getvalue()
