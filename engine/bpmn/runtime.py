"""The runtime: the sandboxed script engine, specs to and from JSON, starting, loading and storing instances."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from engine.bpmn.clock import install_clock
from engine.bpmn.errors import first_line
from engine.bpmn.instance import Instance
from engine.bpmn.parsing import ProcessSpec
from engine.bpmn.serializer import dump_state, full_state, load_state


class Runtime:
    """Creates, loads and stores instances; one per application, safe to share between threads.

    Building one makes SpiffWorkflow's timers read the engine clock (``install_clock``).
    """

    def __init__(self, environment: Any) -> None:
        install_clock()
        self.script_engine = PythonScriptEngine(environment=environment)
        self._local = threading.local()

    # -- registry per thread: SpiffWorkflow's serializer flips shared state while encoding
    @property
    def registry(self) -> Any:
        registry = getattr(self._local, "registry", None)
        if registry is None:
            registry = BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG)
            self._local.registry = registry
        return registry

    # -- specs
    def spec_to_json(self, process: ProcessSpec) -> str:
        registry = self.registry
        return json.dumps(
            {
                "process_id": process.process_id,
                "name": process.name,
                "spec": registry.convert(process.spec),
                "subprocess_specs": {k: registry.convert(v) for k, v in process.subprocess_specs.items()},
            },
            separators=(",", ":"),
        )

    def spec_from_json(self, text: str) -> ProcessSpec:
        registry = self.registry
        data = json.loads(text)
        return ProcessSpec(
            data["process_id"],
            data["name"],
            registry.restore(data["spec"]),
            {k: registry.restore(v) for k, v in data["subprocess_specs"].items()},
        )

    def storage_failures(self, process: ProcessSpec) -> list[tuple[str | None, str]]:
        """(element id, reason) for each part of the spec the serializer cannot store and restore.

        Found by trying: a round trip of the whole spec, then each element alone to name the culprits.
        """
        try:
            self.spec_from_json(self.spec_to_json(process))
        except Exception as error:  # whatever the serializer raises, this spec cannot be stored
            culprits = [
                (getattr(task_spec, "bpmn_id", None) or task_spec.name, reason)
                for spec in [process.spec, *process.subprocess_specs.values()]
                for task_spec in spec.task_specs.values()
                if (reason := self._storage_failure(task_spec)) is not None
            ]
            return culprits or [(None, first_line(error))]
        return []

    def _storage_failure(self, task_spec: Any) -> str | None:
        try:
            json.dumps(self.registry.convert(task_spec))
        except Exception as error:  # the serializer has no converter for this element (or a part of it)
            return first_line(error)
        return None

    # -- instances
    def start(self, process: ProcessSpec, variables: Mapping[str, Any] | None = None) -> Instance:
        workflow = BpmnWorkflow(process.spec, process.subprocess_specs, script_engine=self.script_engine)
        if variables:
            workflow.task_tree.data.update(variables)
            workflow.data.update(variables)
        instance = Instance(workflow, process)
        instance.advance()
        return instance

    def dump(self, instance: Instance) -> bytes:
        """Serialize the instance state (no spec), re-encoding only the tasks that changed."""
        return dump_state(self.registry, instance)

    def load(self, blob: bytes, process: ProcessSpec) -> Instance:
        return load_state(self.registry, blob, process, self.script_engine)

    def full_state(self, instance: Instance) -> dict[str, Any]:
        """The stock SpiffWorkflow serialization without the spec (to check the incremental one)."""
        return full_state(self.registry, instance)
