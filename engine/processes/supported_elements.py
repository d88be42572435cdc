"""Element kinds Lotse cannot run, refused at review by element: service, send and receive tasks, messages.

Read from the BPMN file itself, before SpiffWorkflow parses it (some of these crash its parser or its
serializer). Lotse delivers exactly two messages to a running case (a new incident, a Strafantrag
deadline); a model may catch those, but it cannot send messages nor wait for any other.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from engine.bpmn.files import ModelProblem
from engine.cases.incidents import MESSAGE as INCIDENT_MESSAGE
from engine.strafantrag.periods import MESSAGE as STRAFANTRAG_MESSAGE

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
DELIVERED_MESSAGES = (INCIDENT_MESSAGE, STRAFANTRAG_MESSAGE)
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


def unsupported_elements(root: etree._Element) -> list[ModelProblem]:
    """One problem per element of a kind Lotse cannot run, in document order."""
    messages = {message.get("id"): message.get("name") for message in root.iter(f"{BPMN}message")}
    processes = {process.get("id") for process in root.iter(f"{BPMN}process")}
    return [
        problem
        for process in executable_processes(root)
        for element in process.iter(etree.Element)
        for problem in _problems(element, messages, processes)
    ]


def executable_processes(root: etree._Element) -> list[etree._Element]:
    """The processes SpiffWorkflow parses as executable (``isExecutable`` is true unless it says false)."""
    return [
        process
        for process in root.iterfind(f"{BPMN}process")
        if process.get("isExecutable", "true").lower() == "true"
    ]


def _problems(
    element: etree._Element, messages: dict[str, str], processes: set[str]
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
            f"Receive tasks cannot run in Lotse. It delivers only the messages {_delivered()}: catch them "
            "with a message event.",
            f"Empfangsaufgaben kann Lotse nicht ausführen. Lotse stellt nur die Nachrichten {_delivered()} "
            "zu: Bitte fangen Sie sie mit einem Nachrichtenereignis.",
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
        yield from _message_event(element, messages)


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


def _message_event(definition: etree._Element, messages: dict[str, str]) -> Iterator[ModelProblem]:
    event = definition.getparent()
    kind = etree.QName(event).localname
    if kind in ("intermediateThrowEvent", "endEvent"):
        yield _problem(
            event,
            "Message throw events cannot run in Lotse: it sends no BPMN messages.",
            "Nachrichten-Auslöseereignisse kann Lotse nicht ausführen: Lotse versendet keine BPMN-Nachrichten.",
        )
        return
    parent = event.getparent()
    if kind == "startEvent" and parent.get("triggeredByEvent") != "true":
        yield _problem(
            event,
            "Lotse cannot start a process or subprocess on a message: staff open cases. Use a plain start "
            "event, or an event subprocess for a message Lotse delivers.",
            "Lotse kann einen Prozess oder Teilprozess nicht mit einer Nachricht starten: Fälle eröffnen "
            "Mitarbeitende. Bitte verwenden Sie ein einfaches Startereignis oder einen Ereignis-Teilprozess "
            "für eine Nachricht, die Lotse zustellt.",
        )
        return
    name = messages.get(definition.get("messageRef") or "")
    if name not in DELIVERED_MESSAGES:
        english = f"the message {name!r}" if name else "this message"
        german = f"die Nachricht {name!r}" if name else "diese Nachricht"
        yield _problem(
            event,
            f"Nothing in Lotse sends {english}: it delivers only {_delivered()}.",
            f"Niemand in Lotse sendet {german}: Lotse stellt nur {_delivered()} zu.",
        )
