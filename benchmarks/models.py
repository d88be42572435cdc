"""Generated process models for benchmarks and engine tests."""

from __future__ import annotations


def sequential_model(tasks: int, process_id: str | None = None) -> bytes:
    """A process with ``tasks`` user tasks in a row, each with a one-field form, laid out for bpmn-js."""
    process_id = process_id or f"sequenz_{tasks}"
    elements, flows, shapes, edges = [], [], [], []
    previous, x = "start", 100
    shapes.append(_shape("start", x, 100, 36, 36))
    for number in range(1, tasks + 1):
        task_id = f"schritt_{number}"
        x += 150
        elements.append(
            f'<bpmn:userTask id="{task_id}" name="Schritt {number}" camunda:candidateGroups="beratung" '
            f'camunda:dueDate="arbeitstage(1)">'
            "<bpmn:extensionElements><camunda:formData>"
            f'<camunda:formField id="notiz_{number}" label="Notiz" type="string"/>'
            "</camunda:formData></bpmn:extensionElements></bpmn:userTask>"
        )
        flows.append(_flow(f"fluss_{number}", previous, task_id))
        shapes.append(_shape(task_id, x, 78, 100, 80))
        edges.append(_edge(f"fluss_{number}", x - 50, x))
        previous = task_id
    x += 150
    elements.append('<bpmn:endEvent id="ende"/>')
    flows.append(_flow("fluss_ende", previous, "ende"))
    shapes.append(_shape("ende", x, 100, 36, 36))
    edges.append(_edge("fluss_ende", x - 50, x))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="https://lotse.invalid">'
        f'<bpmn:process id="{process_id}" name="Sequenz {tasks}" isExecutable="true">'
        '<bpmn:startEvent id="start"/>'
        f"{''.join(elements)}{''.join(flows)}</bpmn:process>"
        f'<bpmndi:BPMNDiagram id="diagramm"><bpmndi:BPMNPlane id="ebene" bpmnElement="{process_id}">'
        f"{''.join(shapes)}{''.join(edges)}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>"
        "</bpmn:definitions>"
    ).encode()


def _flow(flow_id: str, source: str, target: str) -> str:
    return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'


def _shape(element: str, x: int, y: int, width: int, height: int) -> str:
    return (
        f'<bpmndi:BPMNShape id="{element}_di" bpmnElement="{element}">'
        f'<dc:Bounds x="{x}" y="{y}" width="{width}" height="{height}"/></bpmndi:BPMNShape>'
    )


def _edge(flow: str, x1: int, x2: int) -> str:
    return (
        f'<bpmndi:BPMNEdge id="{flow}_di" bpmnElement="{flow}">'
        f'<di:waypoint x="{x1}" y="118"/><di:waypoint x="{x2}" y="118"/></bpmndi:BPMNEdge>'
    )
