"""Validation of submitted task forms against the form declared in the model (camunda:formData).

Takes raw values (strings from the web, or typed values from scripts and tests), returns typed
values and per-field messages in German and English. Only declared fields are ever taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from engine.bpmn.tasks import FieldSpec, FormSpec
from engine.kernel.numbers import MAX_LONG, whole_number

SUPPORTED_TYPES = frozenset({"string", "long", "boolean", "date", "enum"})
RESERVED_NAMES = frozenset({"typename", "task_data", "data_objects"})
Message = tuple[str, str]

_TRUE = {"true", "on", "1", "yes", "ja"}
_FALSE = {"false", "off", "0", "no", "nein", ""}


class _Invalid(Exception):
    def __init__(self, german: str, english: str) -> None:
        super().__init__(english)
        self.message: Message = (german, english)


def is_reserved(name: str) -> bool:
    """Variable names a form may not write: SpiffWorkflow internals and Lotse's own namespace."""
    return name in RESERVED_NAMES or name.startswith("_") or name.lower().startswith("lotse")


def validate(form: FormSpec, raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Message]]:
    values: dict[str, Any] = {}
    errors: dict[str, Message] = {}
    for spec in form.fields:
        if spec.readonly:
            continue
        try:
            value = _convert(spec, raw.get(spec.id))
            _check_constraints(spec, value)
        except _Invalid as invalid:
            errors[spec.id] = invalid.message
        else:
            values[spec.id] = value
    return values, errors


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


def _convert(spec: FieldSpec, value: Any) -> Any:
    if spec.type == "boolean":
        return _boolean(value)
    if spec.type == "enum" and spec.multiple:
        return _choices(spec, value)
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    if _is_empty(value):
        return None
    if spec.type == "long":
        return _long(value)
    if spec.type == "date":
        return _date(value)
    if spec.type == "enum":
        return _choice(spec, value)
    return _text(spec, value)


def _boolean(value: Any) -> bool:
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Invalid("Bitte Ja oder Nein angeben.", "Please answer yes or no.")


def _long(value: Any) -> int:
    if isinstance(value, bool):
        raise _Invalid("Bitte eine ganze Zahl eingeben.", "Please enter a whole number.")
    if isinstance(value, int):
        return value
    number = whole_number(str(value), -MAX_LONG, MAX_LONG)
    if number is None:
        raise _Invalid("Bitte eine ganze Zahl eingeben.", "Please enter a whole number.")
    return number


def _date(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10]).isoformat() if len(text) <= 10 else _datetime_text(text)
    except ValueError as error:
        raise _Invalid(
            "Bitte ein gültiges Datum eingeben (TT.MM.JJJJ).", "Please enter a valid date."
        ) from error


def _datetime_text(text: str) -> str:
    return datetime.fromisoformat(text).isoformat()


def _choice(spec: FieldSpec, value: Any) -> str:
    text = str(value)
    if text not in {option for option, _ in spec.options}:
        raise _Invalid(
            "Bitte einen der angebotenen Werte wählen.", "Please choose one of the offered values."
        )
    return text


def _choices(spec: FieldSpec, value: Any) -> list[str]:
    if _is_empty(value):
        return []
    items = [value] if isinstance(value, str) else list(value)
    allowed = {option for option, _ in spec.options}
    chosen = [str(item) for item in items if not _is_empty(item)]
    if any(item not in allowed for item in chosen):
        raise _Invalid("Bitte nur angebotene Werte wählen.", "Please choose only offered values.")
    return list(dict.fromkeys(chosen))


def _text(spec: FieldSpec, value: Any) -> str:
    text = str(value).replace("\r\n", "\n")
    text = text if spec.multiline else text.strip()
    if "\x00" in text:
        raise _Invalid("Der Text enthält ungültige Zeichen.", "The text contains invalid characters.")
    return text


def _check_constraints(spec: FieldSpec, value: Any) -> None:
    if spec.required and (_is_empty(value) or (spec.type == "boolean" and value is not True)):
        raise _Invalid("Dieses Feld ist ein Pflichtfeld.", "This field is required.")
    if _is_empty(value):
        return
    _check_bounds(spec, value)


def _check_bounds(spec: FieldSpec, value: Any) -> None:
    for name in ("min", "max", "minlength", "maxlength"):
        config = spec.constraint(name)
        if config is None:
            continue
        limit = int(config)
        measured = len(value) if name.endswith("length") else value
        if not isinstance(measured, int):
            continue
        too_small = name.startswith("min") and measured < limit
        too_large = name.startswith("max") and measured > limit
        if too_small or too_large:
            raise _Invalid(*_bound_message(name, limit))


def _bound_message(name: str, limit: int) -> Message:
    if name == "minlength":
        return f"Bitte mindestens {limit} Zeichen eingeben.", f"Please enter at least {limit} characters."
    if name == "maxlength":
        return f"Bitte höchstens {limit} Zeichen eingeben.", f"Please enter at most {limit} characters."
    if name == "min":
        return f"Der Wert muss mindestens {limit} sein.", f"The value must be at least {limit}."
    return f"Der Wert darf höchstens {limit} sein.", f"The value must be at most {limit}."
