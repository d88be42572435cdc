"""Element kinds Lotse cannot run, refused at review by element: service, send and receive tasks, messages.

Read from the BPMN file itself, before SpiffWorkflow parses it (some of these crash its parser or its
serializer). Lotse delivers exactly three messages to a running case (a new incident, a Strafantrag
deadline, a new message from the person); a model may catch those with an intermediate catch event, a
boundary event or an event subprocess's start event, but it cannot send messages, start on one, nor wait
for any other. Those refusals name the file and the element and say what to write instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from engine.bpmn.files import ModelProblem
from engine.cases.incidents import MESSAGE as INCIDENT_MESSAGE
from engine.channels.message_events import MESSAGE as NEW_MESSAGE
from engine.strafantrag.periods import MESSAGE as STRAFANTRAG_MESSAGE

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
DELIVERED_MESSAGES = (INCIDENT_MESSAGE, STRAFANTRAG_MESSAGE, NEW_MESSAGE)
SCRIPT_FORMATS = ("python", "python3")
# How a service task (or a business rule task without a decision table) asks Camunda to run code.
IMPLEMENTATIONS = (
    ("class", "a Java class (camunda:class)", "eine Java-Klasse (camunda:class)"),
    (
        "delegateExpression",
        "a delegate (camunda:delegateExpression)",
        "einen Delegate (camunda:delegateExpression)",
    ),
    ("expression", "an expression (camunda:expression)", "einen Ausdruck (camunda:expression)"),
    ("type", "an external task (camunda:type)", "eine externe Aufgabe (camunda:type)"),
)


def unsupported_elements(root: etree._Element, file_name: str = "process.bpmn") -> list[ModelProblem]:
    """One problem per element of a kind Lotse cannot run, in document order (``file_name``: as uploaded)."""
    messages = {message.get("id"): message.get("name") for message in root.iter(f"{BPMN}message")}
    processes = {process.get("id") for process in root.iter(f"{BPMN}process")}
    return [
        problem
        for process in executable_processes(root)
        for element in process.iter(etree.Element)
        for problem in _problems(element, messages, processes, file_name)
    ]


def executable_processes(root: etree._Element) -> list[etree._Element]:
    """The processes SpiffWorkflow parses as executable (``isExecutable`` is true unless it says false)."""
    return [
        process
        for process in root.iterfind(f"{BPMN}process")
        if process.get("isExecutable", "true").lower() == "true"
    ]


def _problems(
    element: etree._Element, messages: dict[str, str], processes: set[str], file_name: str
) -> Iterator[ModelProblem]:
    tag = element.tag
    if tag == f"{BPMN}serviceTask":
        yield _service_task(element)
    elif tag == f"{BPMN}sendTask":
        yield _problem(
            element,
            "Send tasks cannot run in Lotse: it sends no BPMN messages. Model the step as a user task.",
            "Sendeaufgaben kann Lotse nicht ausführen: Lotse versendet keine BPMN-Nachrichten. Bitte "
            "modellieren Sie den Schritt als Benutzeraufgabe.",
        )
    elif tag == f"{BPMN}receiveTask":
        yield _problem(
            element,
            f"{file_name}: Receive tasks cannot run in Lotse. It delivers only the messages {_delivered()}: "
            f"catch them with an intermediate message catch event (for the person's reply: {NEW_MESSAGE!r}).",
            f"{file_name}: Empfangsaufgaben kann Lotse nicht ausführen. Lotse stellt nur die Nachrichten "
            f"{_delivered()} zu: Bitte fangen Sie sie mit einem Nachrichten-Zwischenereignis (für die "
            f"Antwort der Person: {NEW_MESSAGE!r}).",
        )
    elif tag == f"{BPMN}businessRuleTask" and not element.get(f"{CAMUNDA}decisionRef"):
        yield _business_rule_task(element)
    elif tag == f"{BPMN}callActivity" and element.get("calledElement") not in processes:
        called = element.get("calledElement") or ""
        yield _problem(
            element,
            f"The call activity calls {called!r}, which is no process in this file: a called process "
            "must be deployed in the same BPMN file.",
            f"Die Aufrufaktivität ruft {called!r} auf, das ist kein Prozess dieser Datei: Ein aufgerufener "
            "Prozess muss in derselben BPMN-Datei stehen.",
        )
    elif (
        tag == f"{BPMN}scriptTask" and (element.get("scriptFormat") or "python").lower() not in SCRIPT_FORMATS
    ):
        script_format = element.get("scriptFormat")
        yield _problem(
            element,
            f"The script format {script_format!r} is not supported: Lotse runs scripts in Python.",
            f"Das Skriptformat {script_format!r} wird nicht unterstützt: Lotse führt Skripte in Python aus.",
        )
    elif tag == f"{BPMN}messageEventDefinition":
        yield from _message_event(element, messages, file_name)


def _problem(element: etree._Element, english: str, german: str) -> ModelProblem:
    return ModelProblem(element.get("id"), english, german=german)


def _delivered() -> str:
    return ", ".join(repr(name) for name in DELIVERED_MESSAGES)


def _implementation(element: etree._Element) -> tuple[str, str]:
    for attribute, english, german in IMPLEMENTATIONS:
        if element.get(f"{CAMUNDA}{attribute}"):
            return english, german
    if element.find(f"{BPMN}extensionElements/{CAMUNDA}connector") is not None:
        return "a connector (camunda:connector)", "einen Konnektor (camunda:connector)"
    return "no implementation", "keine Implementierung"


def _service_task(element: etree._Element) -> ModelProblem:
    english, german = _implementation(element)
    return _problem(
        element,
        f"Service tasks cannot run in Lotse (this one names {english}): Lotse runs no Java classes, "
        "external workers or connectors. Model the step as a user task or as a Python script task.",
        f"Serviceaufgaben kann Lotse nicht ausführen (diese nennt {german}): Lotse führt keine "
        "Java-Klassen, externen Worker oder Konnektoren aus. Bitte modellieren Sie den Schritt als "
        "Benutzeraufgabe oder als Skriptaufgabe in Python.",
    )


def _business_rule_task(element: etree._Element) -> ModelProblem:
    english, german = _implementation(element)
    return _problem(
        element,
        f"A business rule task runs the DMN decision named in camunda:decisionRef; this one names {english}.",
        f"Eine Geschäftsregelaufgabe führt die in camunda:decisionRef genannte DMN-Entscheidung aus; "
        f"diese nennt {german}.",
    )


def _message_event(
    definition: etree._Element, messages: dict[str, str], file_name: str
) -> Iterator[ModelProblem]:
    event = definition.getparent()
    kind = etree.QName(event).localname
    where = f"{file_name}, {_label(event)}"
    if kind in ("intermediateThrowEvent", "endEvent"):
        yield _problem(
            event,
            f"{where}: message throw events cannot run in Lotse, it sends no BPMN messages. Write the event "
            "without messageEventDefinition (a plain event); to write to the person, model a user task: "
            "the counsellor answers from the case page.",
            f"{where}: Nachrichten-Auslöseereignisse kann Lotse nicht ausführen, Lotse versendet keine "
            "BPMN-Nachrichten. Bitte schreiben Sie das Ereignis ohne messageEventDefinition (ein einfaches "
            "Ereignis); um der Person zu schreiben, modellieren Sie eine Benutzeraufgabe: Die Beratung "
            "antwortet auf der Fallseite.",
        )
        return
    parent = event.getparent()
    if kind == "startEvent" and parent.get("triggeredByEvent") != "true":
        yield _problem(
            event,
            f"{where}: Lotse cannot start a process or subprocess on a message. E-mails and portal messages "
            "without a case go to triage (Sichtung), where staff open the case. Write a plain start event "
            f"without messageEventDefinition; to wait for the person's next message later, use an "
            f"intermediate message catch event for {NEW_MESSAGE!r}.",
            f"{where}: Lotse kann einen Prozess oder Teilprozess nicht mit einer Nachricht starten. E-Mails "
            "und Portalnachrichten ohne Fall kommen in die Sichtung, wo Mitarbeitende den Fall eröffnen. "
            "Bitte schreiben Sie ein einfaches Startereignis ohne messageEventDefinition; um später auf die "
            f"nächste Nachricht der Person zu warten, verwenden Sie ein Nachrichten-Zwischenereignis für "
            f"{NEW_MESSAGE!r}.",
        )
        return
    name = messages.get(definition.get("messageRef") or "")
    if name not in DELIVERED_MESSAGES:
        english = f"the message {name!r}" if name else "this message (it names no message)"
        german = f"die Nachricht {name!r}" if name else "diese Nachricht (sie nennt keine)"
        yield _problem(
            event,
            f"{where}: nothing in Lotse sends {english}; it delivers only {_delivered()}. Name the message "
            f"{NEW_MESSAGE!r} to wait for a message from the person on the case (an e-mail reply or an "
            "answer in the anonymous mailbox); for anything else use a timer or a user task.",
            f"{where}: Niemand in Lotse sendet {german}; Lotse stellt nur {_delivered()} zu. Bitte nennen "
            f"Sie die Nachricht {NEW_MESSAGE!r}, um auf eine Nachricht der Person im Fall zu warten (eine "
            "Antwort per E-Mail oder im anonymen Postfach); für anderes verwenden Sie einen Timer oder eine "
            "Benutzeraufgabe.",
        )


def _label(element: etree._Element) -> str:
    """How a message names an element: its id, with its name where it has one."""
    name = element.get("name")
    return f"{element.get('id')!r} ({name})" if name else repr(element.get("id"))
