"""A case that completed a step moves to a version that only words that step's form differently (German
and English labels, option names): the words are not what the case holds. The shipped model's team-lead
steps, now written from one template, differ from their drawn predecessors in exactly such words."""

from __future__ import annotations

from benchmarks.migrate import drive, shipped_models, with_renamed_field
from engine.processes.deployment import deploy_process
from engine.processes.migration import dry_run
from tests.conftest import MONDAY_MORNING


def _relabelled(bpmn: bytes) -> bytes:
    """The referral's note and one of its goals worded anew, in German and English."""
    edits = (
        (b'label="Notiz zur Vermittlung"', b'label="Notiz zur Vermittlung (intern)"'),
        (b'value="Note on the referral"', b'value="Internal note on the referral"'),
        (b'name="WEISSER RING"', b'name="WEISSER RING e. V."'),
        (
            b'<camunda:property name="name_en" value="Refer (pilot role)"/>',
            b'<camunda:property name="name_en" value="Referral"/>',
        ),
    )
    for old, new in edits:
        assert old in bpmn, old
        bpmn = bpmn.replace(old, new, 1)
    return bpmn


def test_a_case_past_a_relabelled_form_moves_and_one_past_a_renamed_field_does_not(ctx, clock):
    bpmn, dmn = shipped_models()
    source = deploy_process(ctx, "paul", bpmn, dmn)
    case_id = drive(ctx, "warten_nachfassen", MONDAY_MORNING)  # the referral's form is done
    relabelled = deploy_process(ctx, "paul", _relabelled(bpmn), dmn)
    report = dry_run(ctx, source.version_id, relabelled.version_id)
    assert "vermittlung" in report.changed
    assert [check.case_id for check in report.movable] == [case_id] and report.refused == ()

    renamed = deploy_process(ctx, "paul", with_renamed_field(bpmn), dmn)
    report = dry_run(ctx, source.version_id, renamed.version_id)
    (check,) = report.refused
    assert [(refusal.kind, refusal.changes) for refusal in check.refusals] == [
        ("completed_changed", ("form",))
    ]
