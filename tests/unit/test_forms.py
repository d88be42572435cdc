"""Form validation against camunda:formData: typed values, messages in German and English, only declared fields."""

from __future__ import annotations

from engine.bpmn.forms import is_reserved, validate
from engine.bpmn.tasks import FieldSpec, FormSpec

FORM = FormSpec(
    (
        FieldSpec(
            "land",
            "enum",
            "Land",
            options=(("NW", "NRW"), ("BY", "Bayern")),
            constraints=(("required", None),),
        ),
        FieldSpec(
            "arten", "enum", "Arten", options=(("a", "A"), ("b", "B")), properties=(("multiple", "true"),)
        ),
        FieldSpec("angst", "long", "Angst", constraints=(("min", "0"), ("max", "10"))),
        FieldSpec("einwilligung", "boolean", "Einwilligung", constraints=(("required", None),)),
        FieldSpec("gefahr", "boolean", "Gefahr"),
        FieldSpec("datum", "date", "Datum"),
        FieldSpec(
            "notiz", "string", "Notiz", constraints=(("maxlength", "5"),), properties=(("multiline", "true"),)
        ),
    )
)


def test_web_strings_become_typed_values():
    values, errors = validate(
        FORM,
        {
            "land": "NW",
            "arten": ["a", "b", "a"],
            "angst": "7",
            "einwilligung": "on",
            "datum": "2026-06-04",
            "notiz": "ok",
        },
    )
    assert errors == {}
    assert values == {
        "land": "NW",
        "arten": ["a", "b"],
        "angst": 7,
        "einwilligung": True,
        "gefahr": False,
        "datum": "2026-06-04",
        "notiz": "ok",
    }


def test_each_rule_gives_a_message_in_both_languages():
    _, errors = validate(
        FORM,
        {
            "land": "XX",
            "arten": ["c"],
            "angst": "elf",
            "einwilligung": "",
            "datum": "31.02.",
            "notiz": "zu lang",
        },
    )
    assert set(errors) == {"land", "arten", "angst", "einwilligung", "datum", "notiz"}
    assert all(german and english and german != english for german, english in errors.values())


def test_bounds_and_required():
    _, errors = validate(FORM, {"land": "", "angst": "11", "einwilligung": True})
    assert set(errors) == {"land", "angst"}
    assert errors["land"][1] == "This field is required."


def test_undeclared_and_reserved_keys_are_never_taken():
    values, _ = validate(
        FORM, {"land": "NW", "einwilligung": True, "typename": "x", "__class__": "y", "extra": 1}
    )
    assert not {"typename", "__class__", "extra"} & set(values)
    assert (
        is_reserved("typename")
        and is_reserved("_x")
        and is_reserved("lotse_intern")
        and not is_reserved("land")
    )
