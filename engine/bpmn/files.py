"""Reading uploaded process-model files safely: size limit, no DTDs or entities, BPMN/DMN roots only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring
from lxml import etree

MAX_MODEL_BYTES = 2 * 1024 * 1024
# The DMN versions SpiffWorkflow's DMN parser reads (it carries their schemas), by namespace.
DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "1.1",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "1.2",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "1.3",
}
MODEL_NAMESPACES = {"http://www.omg.org/spec/BPMN/20100524/MODEL", *DMN_NAMESPACES}
# DMN versions by the date in their namespace, to name a version Lotse cannot read.
DMN_RELEASES = {"20211108": "1.4", "20230324": "1.5"}
DMN_NAMESPACE_PATTERN = re.compile(r"omg\.org/spec/DMN/(\d{8})/", re.IGNORECASE)


@dataclass(frozen=True)
class ModelProblem:
    element_id: str | None
    message: str
    severity: str = "error"
    german: str | None = None  # the message in German where Lotse words it itself (else the English one)

    def __str__(self) -> str:
        where = f"[{self.element_id}] " if self.element_id else ""
        return f"{where}{self.message}"

    def text(self, language: str = "de") -> str:
        return self.german if language == "de" and self.german else self.message


class ModelError(Exception):
    """A process model that cannot be deployed; carries one problem per offending element."""

    def __init__(self, problems: list[ModelProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def _refuse(file_name: str, message: str, german: str) -> ModelError:
    return ModelError([ModelProblem(None, f"{file_name}: {message}", german=f"{file_name}: {german}")])


def parse_model_xml(data: bytes, file_name: str) -> etree._Element:
    """Parse a BPMN or DMN file, refusing oversized, malformed, entity-laden or foreign XML."""
    if len(data) > MAX_MODEL_BYTES:
        raise _refuse(
            file_name,
            f"the file is larger than {MAX_MODEL_BYTES // 1024} KiB.",
            f"Die Datei ist größer als {MAX_MODEL_BYTES // 1024} KiB.",
        )
    try:
        defused_fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise _refuse(
            file_name,
            f"DTDs and entities are not allowed ({error.__class__.__name__}).",
            f"DTDs und Entitäten sind nicht erlaubt ({error.__class__.__name__}).",
        ) from error
    except ParseError as error:
        raise _refuse(
            file_name, f"the XML is malformed ({error}).", f"Das XML ist fehlerhaft ({error})."
        ) from error
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise _refuse(
            file_name, f"the XML is malformed ({error}).", f"Das XML ist fehlerhaft ({error})."
        ) from error
    namespace = etree.QName(root).namespace
    if namespace not in MODEL_NAMESPACES and DMN_NAMESPACE_PATTERN.search(namespace or ""):
        raise _unsupported_dmn(file_name, namespace or "")
    if etree.QName(root).localname != "definitions" or namespace not in MODEL_NAMESPACES:
        raise _refuse(
            file_name,
            "this is not a BPMN or DMN model (no <definitions> root).",
            "Das ist kein BPMN- oder DMN-Modell (kein <definitions>-Element).",
        )
    return root


def _unsupported_dmn(file_name: str, namespace: str) -> ModelError:
    found = DMN_NAMESPACE_PATTERN.search(namespace)
    version = DMN_RELEASES.get(found.group(1)) if found else None
    english, german = (
        (f"DMN {version}", f"DMN {version}") if version else ("This DMN version", "Diese DMN-Version")
    )
    readable = ", ".join(sorted(set(DMN_NAMESPACES.values())))
    return _refuse(
        file_name,
        f"{english} ({namespace}) is not supported; Lotse reads DMN {readable}. Save the decision table "
        "as DMN 1.3 (as the Camunda Modeler does for Camunda 7).",
        f"{german} ({namespace}) wird nicht unterstützt; Lotse liest DMN {readable}. Bitte speichern Sie "
        "die Entscheidungstabelle als DMN 1.3 (so speichert sie der Camunda Modeler für Camunda 7).",
    )
