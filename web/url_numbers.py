"""The ``int`` converter of Lotse's URLs: ASCII digits of bounded length only (Werkzeug's own matches any
script's digits and any length), so ``/faelle/٣`` or a 30-digit id is a 404, never a database error."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import BaseConverter, Map, ValidationError

from engine.kernel.numbers import MAX_ID, whole_number


class StrictInteger(BaseConverter):
    regex = r"[0-9]{1,10}"
    weight = 50  # as Werkzeug's integer converter: preferred over a string part
    part_isolating = True

    def __init__(self, url_map: Map, maximum: int = MAX_ID) -> None:
        super().__init__(url_map)
        self.maximum = maximum

    def to_python(self, value: str) -> int:
        number = whole_number(value, 0, self.maximum)
        if number is None:
            raise ValidationError()  # no match: the request ends as a 404
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))


def init_app(app: Flask) -> None:
    """Register before any blueprint: rules take their converter when they are added."""
    app.url_map.converters["int"] = StrictInteger
