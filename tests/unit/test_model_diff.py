"""The diff between two versions of a model, by BPMN element, with real SpiffWorkflow specs."""

from __future__ import annotations

from benchmarks.models import sequential_model
from engine.bpmn.diff import diff_processes
from engine.bpmn.parsing import parse_process
from engine.bpmn.runtime import Runtime
from engine.sandbox.restricted import Sandbox
from tests.conftest import shipped_models


def _diff(old: bytes, new: bytes, dmn: dict[str, bytes] | None = None):
    return diff_processes(Runtime(Sandbox()), parse_process(old, dmn), parse_process(new, dmn))


def test_added_and_removed_steps_are_named():
    grown = _diff(sequential_model(2, "p"), sequential_model(3, "p"))
    assert [c.element_id for c in grown.added] == ["schritt_3"]
    assert [c.element_id for c in grown.changed] == ["ende", "schritt_2"]  # their flows changed
    assert not grown.removed
    shrunk = _diff(sequential_model(3, "p"), sequential_model(2, "p"))
    assert [c.element_id for c in shrunk.removed] == ["schritt_3"] and not shrunk.added


def test_same_model_has_an_empty_diff_and_layout_changes_none():
    bpmn, dmn = shipped_models()
    assert _diff(bpmn, bpmn, dmn).empty
    moved = bpmn.replace(b'<dc:Bounds x="', b'<dc:Bounds x="1', 1)
    assert moved != bpmn and _diff(bpmn, moved, dmn).empty


def test_a_renamed_task_in_the_event_sub_process_is_found():
    bpmn, dmn = shipped_models()
    changed = bpmn.replace(
        b'id="vorfall_erfassen" name="Neuen Vorfall erfassen und Risiko neu einsch',
        b'id="vorfall_erfassen" name="Neuen Vorfall aufnehmen und Risiko neu einsch',
    )
    assert changed != bpmn
    found = _diff(bpmn, changed, dmn)
    # the task, and the team-lead step its declared deadline generates, which carries its name
    assert sorted((c.element_id, "bpmn_name" in c.attributes) for c in found.changed) == [
        ("eskalation_vorfall_erfassen", True),
        ("vorfall_erfassen", True),
    ]
    renamed = next(c for c in found.changed if c.element_id == "vorfall_erfassen")
    assert renamed.name.startswith("Neuen Vorfall aufnehmen")  # named as it is now
