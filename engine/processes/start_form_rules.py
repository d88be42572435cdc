"""The form of a process's plain start event (``camunda:formData``), read from the BPMN file, and what
the review says about it: field ids that are reserved, types the engine cannot serve."""

from __future__ import annotations

from lxml import etree

from engine.bpmn.files import ModelProblem
from engine.bpmn.forms import SUPPORTED_TYPES, is_reserved
from engine.bpmn.tasks import FieldSpec, FormSpec
from engine.processes.supported_elements import BPMN, CAMUNDA, executable_processes


def start_form_problems(root: etree._Element) -> list[ModelProblem]:
    """Start form fields the engine cannot serve: reserved ids and unsupported types."""
    form = start_form_of(root)
    problems = []
    for field in form.fields if form else ():
        if is_reserved(field.id):
            problems.append(
                ModelProblem(
                    None,
                    f"Start form: the field id {field.id!r} is reserved.",
                    german=f"Startformular: Die Feld-ID {field.id!r} ist reserviert.",
                )
            )
        elif field.type not in SUPPORTED_TYPES:
            problems.append(
                ModelProblem(
                    None,
                    f"Start form: the field {field.id!r} has the unsupported type {field.type!r} (possible: "
                    "string, long, boolean, date, enum).",
                    german=f"Startformular: Das Feld {field.id!r} hat den nicht unterstützten Typ "
                    f"{field.type!r} (möglich: string, long, boolean, date, enum).",
                )
            )
    return problems


def start_form_of(root: etree._Element) -> FormSpec | None:
    for process in executable_processes(root):
        for event in process.iterfind(f"{BPMN}startEvent"):
            if any(child.tag.endswith("EventDefinition") for child in event):
                continue
            fields = event.iterfind(f"{BPMN}extensionElements/{CAMUNDA}formData/{CAMUNDA}formField")
            return FormSpec(tuple(_field(field) for field in fields))
    return None


def _field(xml: etree._Element) -> FieldSpec:
    kind = xml.get("type") or "string"
    return FieldSpec(
        id=xml.get("id") or "",
        type=kind,
        label=xml.get("label") or xml.get("id") or "",
        default=xml.get("defaultValue"),
        options=tuple(
            (value.get("id") or "", value.get("name") or value.get("id") or "")
            for value in xml.iterfind(f"{CAMUNDA}value")
        ),
        constraints=tuple(
            (constraint.get("name") or "", constraint.get("config"))
            for constraint in xml.iterfind(f"{CAMUNDA}validation/{CAMUNDA}constraint")
        ),
        properties=tuple(
            (prop.get("id") or prop.get("name") or "", prop.get("value"))
            for prop in xml.iterfind(f"{CAMUNDA}properties/{CAMUNDA}property")
        ),
    )
