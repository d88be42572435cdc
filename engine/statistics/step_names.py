"""The names a deployed model gives its user tasks, its declared team-lead steps included, for reports that
count by step. A deployed version never changes, so each is read once per process."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.deadline_chains import expand_deadlines
from engine.bpmn.files import ModelError, parse_model_xml
from engine.store.tables import ProcessVersion

USER_TASK = "{http://www.omg.org/spec/BPMN/20100524/MODEL}userTask"
_READ: dict[tuple[str, int], dict[str, str]] = {}  # (database, version id) → element id → name


def model_step_names(session: Session, version_id: int) -> dict[str, str]:
    key = (str(session.get_bind().url), version_id)
    found = _READ.get(key)
    if found is None:
        xml = session.scalar(select(ProcessVersion.bpmn_xml).where(ProcessVersion.id == version_id)) or ""
        try:
            root = expand_deadlines(parse_model_xml(xml.encode(), "model.bpmn"))
        except ModelError:  # a version whose model cannot be read names no step (the code is shown)
            found = _READ[key] = {}
        else:
            found = _READ[key] = {
                task.get("id", ""): task.get("name") or task.get("id", "") for task in root.iter(USER_TASK)
            }
    return found
