"""The shipped model carries English text for every step, instruction, form label and enum value."""

from __future__ import annotations

from engine.bpmn.parsing import parse_process
from tests.conftest import shipped_models


def _user_tasks():
    bpmn, dmn = shipped_models()
    spec = parse_process(bpmn, dmn, "fallbearbeitung.bpmn")
    return spec, spec.user_task_specs()


def test_every_user_task_has_an_english_name_and_instructions():
    _, tasks = _user_tasks()
    assert len(tasks) >= 28  # the model's user tasks, as the issue counts them
    missing = []
    for task in tasks:
        ext = task.extensions or {}
        if not (ext.get("name_en") or "").strip():
            missing.append(f"{task.bpmn_id}: name_en")
        if task.documentation and not (ext.get("documentation_en") or "").strip():
            missing.append(f"{task.bpmn_id}: documentation_en")
    assert missing == []


def test_every_form_field_and_enum_value_has_an_english_label():
    spec, tasks = _user_tasks()
    missing = []
    fields = 0
    for task in tasks:
        for field in spec.form_for(task).fields:
            fields += 1
            if field.label_in("en") == field.label and field.property("label_en") is None:
                missing.append(f"{task.bpmn_id}.{field.id}")
            for option, _name in field.options:
                if not (field.property(f"label_en.{option}") or "").strip():
                    missing.append(f"{task.bpmn_id}.{field.id}={option}")
    assert fields >= 77  # every field of the model, none skipped
    assert missing == []


def test_english_falls_back_to_german_and_german_stays_german():
    spec, tasks = _user_tasks()
    eingang = next(task for task in tasks if task.bpmn_id == "eingang")
    form = spec.form_for(eingang)
    channel = form.field("kontaktkanal")
    assert channel.label_in("de") == "Kontaktkanal" and channel.label_in("en") == "Contact channel"
    assert channel.option_in("telefon", "Telefon", "de") == "Telefon"
    assert channel.option_in("telefon", "Telefon", "en") == "Telephone"
    assert channel.option_in("fax", "Fax", "en") == "Fax"  # a value the model does not translate
    assert spec.english_names()["eingang"] == "Record the intake"
