"""The labels the deployed models give their form fields, for pages that must name a field outside its form
(the session-expired page that gives back what was typed)."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.kernel.context import EngineContext
from engine.store.tables import ProcessVersion


def form_field_labels(ctx: EngineContext, language: str) -> dict[str, str]:
    """Field id -> label in ``language``, over every form of the latest version of each process."""
    with ctx.unit_of_work(writes=False) as session:
        newest = select(func.max(ProcessVersion.id)).group_by(ProcessVersion.key).scalar_subquery()
        ids = session.scalars(select(ProcessVersion.id).where(ProcessVersion.id.in_(newest))).all()
        processes = [ctx.process(session, version_id) for version_id in ids]
    labels: dict[str, str] = {}
    for process in processes:
        for spec in [process.spec, *process.subprocess_specs.values()]:
            for task_spec in spec.task_specs.values():
                if getattr(task_spec, "manual", False) or hasattr(task_spec, "form"):
                    for field in process.form_for(task_spec).fields:
                        labels.setdefault(field.id, field.label_in(language))
    return labels
