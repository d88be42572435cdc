"""Parsing process models (Camunda 7 dialect) into runnable specs, with the extensions Lotse reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import IntermediateThrowEvent
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaIntermediateThrowEventParser
from SpiffWorkflow.camunda.parser.task_spec import UserTaskParser
from SpiffWorkflow.camunda.specs.user_task import EnumFormField, Form, FormField
from SpiffWorkflow.camunda.specs.user_task import UserTask as CamundaUserTask
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.bpmn.deadline_chains import expand_deadlines
from engine.bpmn.errors import first_line
from engine.bpmn.files import DMN_NAMESPACES, ModelError, ModelProblem, parse_model_xml
from engine.bpmn.tasks import FieldSpec, FormSpec

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# What SpiffWorkflow's parser raises on a model it cannot read (beyond its own exceptions).
PARSER_FAILURES = (
    SpiffWorkflowException,
    KeyError,
    IndexError,
    AttributeError,
    TypeError,
    ValueError,
    AssertionError,
    etree.LxmlError,
)
CAMUNDA_TASK_ATTRIBUTES = (
    "candidateGroups",
    "candidateUsers",
    "assignee",
    "dueDate",
    "followUpDate",
    "priority",
)


class _LotseUserTaskParser(UserTaskParser):
    """Reads the Camunda 7 task attributes and forms that SpiffWorkflow's parser skips."""

    def parse_extensions(self, node: Any = None) -> dict[str, Any]:
        extensions = dict(super().parse_extensions(node))
        for name in CAMUNDA_TASK_ATTRIBUTES:
            value = self.node.get(f"{{{CAMUNDA_NS}}}{name}")
            if value is not None and value.strip():
                extensions[f"camunda:{name}"] = value.strip()
        return extensions

    def get_form(self) -> Form:
        form = Form()
        form.key = self.node.get(f"{{{CAMUNDA_NS}}}formKey") or ""
        for xml_field in self.xpath(".//camunda:formData/camunda:formField"):
            form.add_field(self._form_field(xml_field))
        return form

    def _form_field(self, xml_field: Any) -> FormField:
        field_ = self.get_enum_field(xml_field) if xml_field.get("type") == "enum" else FormField()
        field_.id = xml_field.get("id")
        field_.type = xml_field.get("type")
        field_.label = xml_field.get("label")
        field_.default_value = xml_field.get("defaultValue")
        for child in xml_field:
            if child.tag == f"{{{CAMUNDA_NS}}}properties":
                for prop in child:
                    field_.add_property(prop.get("id") or prop.get("name"), prop.get("value"))
            if child.tag == f"{{{CAMUNDA_NS}}}validation":
                for constraint in child:
                    field_.add_validation(constraint.get("name"), constraint.get("config"))
        return field_


class _LotseThrowEventParser(CamundaIntermediateThrowEventParser):
    """Reads ``camunda:properties`` of intermediate throw events (where Lotse effects are declared)."""

    def parse_extensions(self, node: Any = None) -> dict[str, Any]:
        return {
            prop.get("name"): prop.get("value")
            for prop in self.xpath(".//bpmn:extensionElements/camunda:properties/camunda:property")
        }


class _LotseParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        f"{{{BPMN_NS}}}userTask": (_LotseUserTaskParser, CamundaUserTask),
        f"{{{BPMN_NS}}}intermediateThrowEvent": (_LotseThrowEventParser, IntermediateThrowEvent),
    }

    def add_dmn_xml(self, node: Any, filename: str | None = None) -> None:
        """Read a DMN file whatever prefix it gives DMN's namespace.

        SpiffWorkflow takes the default namespace for DMN's, so a file that puts DMN on a prefix
        (``dmn:``, ``semantic:``) and something else on the default namespace reads as empty.
        """
        problems = decision_table_problems(node, filename or "?")
        if problems:
            raise ModelError(problems)
        namespaces = {**self.namespaces, **{prefix: uri for prefix, uri in node.nsmap.items() if prefix}}
        namespaces["dmn"] = etree.QName(node).namespace
        dmn_parser = DMNParser(self, node, namespaces, filename=filename)
        self.dmn_parsers[dmn_parser.bpmn_id] = dmn_parser
        self.dmn_parsers_by_name[dmn_parser.get_name()] = dmn_parser


def decision_table_problems(root: Any, file_name: str) -> list[ModelProblem]:
    """What keeps SpiffWorkflow from reading a DMN file: it needs one decision, with an id, that is a table."""
    namespace = etree.QName(root).namespace
    if namespace not in DMN_NAMESPACES:
        return _file_problem(file_name, "this is not a DMN model.", "Das ist kein DMN-Modell.")
    decisions = root.findall(f".//{{{namespace}}}decision")
    if len(decisions) != 1:
        return _file_problem(
            file_name,
            f"the file holds {len(decisions)} decisions; Lotse reads exactly one decision per file.",
            f"Die Datei enthält {len(decisions)} Entscheidungen; Lotse liest genau eine Entscheidung je Datei.",
        )
    decision = decisions[0]
    if not decision.get("id") or len(decision.findall(f"{{{namespace}}}decisionTable")) != 1:
        name = decision.get("id") or decision.get("name") or "?"
        return _file_problem(
            file_name,
            f"the decision {name!r} must have an id and consist of one decision table (Lotse runs no "
            "literal expressions, contexts or other DMN expressions).",
            f"Die Entscheidung {name!r} braucht eine ID und muss aus einer Entscheidungstabelle bestehen "
            "(Lotse führt keine Literal-Ausdrücke, Kontexte oder andere DMN-Ausdrücke aus).",
        )
    return []


def _file_problem(file_name: str, message: str, german: str) -> list[ModelProblem]:
    return [ModelProblem(None, f"{file_name}: {message}", german=f"{file_name}: {german}")]


@dataclass
class ProcessSpec:
    """A parsed, runnable process: the top-level spec and the specs of its subprocesses."""

    process_id: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    _forms: dict[str, FormSpec] = field(default_factory=dict, repr=False)

    def form_for(self, task_spec: Any) -> FormSpec:
        form = self._forms.get(task_spec.name)
        if form is None:
            form = _form_spec(getattr(task_spec, "form", None))
            self._forms[task_spec.name] = form
        return form

    def element_name(self, element_id: str | None) -> str | None:
        """The name the model gives an element (its id when it has none); None for no element."""
        if element_id is None:
            return None
        for spec in [self.spec, *self.subprocess_specs.values()]:
            for task_spec in spec.task_specs.values():
                if getattr(task_spec, "bpmn_id", None) == element_id:
                    return getattr(task_spec, "bpmn_name", None) or element_id
        return element_id

    def user_tasks(self) -> list[tuple[str, str]]:
        """(element id, name) of every user or manual task, in document order of the specs."""
        return [(task.bpmn_id, task.bpmn_name or task.bpmn_id) for task in self.user_task_specs()]

    def english_names(self) -> dict[str, str]:
        """Element id → English name (``camunda:properties`` ``name_en``) of the user tasks that give one."""
        found = {}
        for task in self.user_task_specs():
            english = (getattr(task, "extensions", None) or {}).get("name_en")
            if english:
                found[task.bpmn_id] = english
        return found

    def user_task_specs(self) -> list[Any]:
        """The specs of every user or manual task, in document order of the specs."""
        specs = [self.spec, *self.subprocess_specs.values()]
        return [
            task
            for spec in specs
            for task in spec.task_specs.values()
            if getattr(task, "manual", False) and getattr(task, "bpmn_id", None)
        ]


def parse_process(
    bpmn_xml: bytes, dmn_xmls: Mapping[str, bytes] | None = None, bpmn_name: str = "process.bpmn"
) -> ProcessSpec:
    """Parse one BPMN file (with its DMN files) into a ProcessSpec, or raise ModelError."""
    parser = _LotseParser()
    try:
        for name, xml in (dmn_xmls or {}).items():
            parser.add_dmn_xml(parse_model_xml(xml, name), filename=name)
        root = expand_deadlines(parse_model_xml(bpmn_xml, bpmn_name), bpmn_name)
        parser.add_bpmn_xml(root, filename=bpmn_name)
        process_ids = parser.get_process_ids()
        if len(process_ids) != 1:
            raise ModelError(
                [
                    ModelProblem(
                        None,
                        f"{bpmn_name}: expected exactly one executable process, found {len(process_ids)}.",
                        german=f"{bpmn_name}: Erwartet wird genau ein ausführbarer Prozess, gefunden: "
                        f"{len(process_ids)}.",
                    )
                ]
            )
        process_id = process_ids[0]
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ModelError:
        raise
    except ValidationException as error:
        raise ModelError([ModelProblem(getattr(error, "id", None), first_line(error))]) from error
    except PARSER_FAILURES as error:
        raise ModelError(
            [
                ModelProblem(
                    None,
                    f"The model cannot be parsed: {first_line(error)}",
                    german=f"Das Modell kann nicht gelesen werden: {first_line(error)}",
                )
            ]
        ) from error
    return ProcessSpec(process_id, spec.description or process_id, spec, subprocess_specs)


def _form_spec(form: Form | None) -> FormSpec:
    if form is None:
        return FormSpec()
    fields = []
    for f in form.fields:
        options = tuple((o.id, o.name or o.id) for o in f.options) if isinstance(f, EnumFormField) else ()
        fields.append(
            FieldSpec(
                id=f.id,
                type=f.type or "string",
                label=f.label or f.id,
                default=f.default_value,
                options=options,
                constraints=tuple((v.name, v.config) for v in f.validation),
                properties=tuple((p.id, p.value) for p in f.properties),
            )
        )
    return FormSpec(tuple(fields))
