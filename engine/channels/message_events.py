"""A new message from the person as a BPMN message the case's process may wait for.

When a message from the person lands on an open case (an e-mail reply in the case's conversation, or an
answer written in the anonymous mailbox), Lotse delivers the BPMN message ``neue_nachricht`` to the case's
process instance: an intermediate message catch event or a message boundary event (interrupting or not)
whose message is named ``neue_nachricht`` continues. Its variable ``nachricht`` tells the channel and the
time of arrival, never the text (that stays sealed with the conversation). A case whose model does not
wait for the message is left alone; the "Neue Nachricht" task tells its counsellor either way.

The delivery is an engine step like a timer's: the model code runs outside any transaction, and the
case is written with its lock version, so a change made meanwhile makes it start again on the new state.
"""

from __future__ import annotations

import logging
from datetime import datetime

from engine.bpmn.analysis import caught_messages
from engine.cases.step_failures import FailedStep, StepFailed, run_model_code
from engine.kernel import audit
from engine.kernel.context import EngineContext
from engine.kernel.errors import ConcurrentUpdate
from engine.store.case_store import case_record, load_instance, remember, update_case

MESSAGE = "neue_nachricht"
RESULT_VARIABLE = "nachricht"
ACTOR = "system:nachricht"
ATTEMPTS = 3
log = logging.getLogger(__name__)


def deliver_new_message(ctx: EngineContext, case_id: int, channel: str, now: datetime) -> bool:
    """Hand ``neue_nachricht`` to the case's process; True when an event of it caught the message."""
    for _ in range(ATTEMPTS):
        try:
            return _deliver(ctx, case_id, channel, now)
        except ConcurrentUpdate:
            continue  # the case changed while the step ran: deliver on its new state
    log.warning("case %s changed %s times while a new message was handed to its process", case_id, ATTEMPTS)
    return False


def _deliver(ctx: EngineContext, case_id: int, channel: str, now: datetime) -> bool:
    with ctx.unit_of_work(writes=False) as session:
        case = case_record(session, case_id)
        if case.status != "open" or MESSAGE not in caught_messages(
            ctx.process(session, case.process_version_id)
        ):
            return False
        instance = load_instance(ctx, session, case)
    where = FailedStep("message", case.process_version_id, case.id, case.lock_version)
    payload = {"kanal": channel, "eingegangen": now.isoformat()}

    def step() -> bool:
        if not instance.deliver(MESSAGE, payload, RESULT_VARIABLE):
            return False
        instance.advance()
        return True

    try:
        caught = run_model_code(ctx, where, instance.process, step, ACTOR, now)
    except StepFailed:
        return False  # recorded as the case's step failure; the message itself is on the case
    if not caught:
        remember(ctx, case, instance)  # nothing waited for the message: the instance is unchanged
        return False
    with ctx.unit_of_work() as session:
        update_case(ctx, session, case, instance, now)
        audit.record(session, now, ACTOR, "message_caught", case.id, channel)
        session.commit()
    remember(ctx, case, instance)
    return True
