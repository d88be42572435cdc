"""Model files carry whatever their authors put in them, an XHTML ``<script>`` too: Lotse serves them only as
downloads with ``nosniff`` and a CSP that loads nothing and sandboxes the document, so no browser runs them."""

from __future__ import annotations

import pytest

from engine.cases.lifecycle import open_case
from engine.processes.deployment import deploy_process
from tests.conftest import COUNSELLOR, shipped_models
from tests.web.conftest import Auth

KEY = "fallbearbeitung"
SCRIPT = b'<html:script xmlns:html="http://www.w3.org/1999/xhtml">alert(document.cookie)</html:script>'


@pytest.fixture
def scripted(deployed):
    bpmn, dmn = shipped_models()
    carrying = bpmn.replace(b"  <bpmn:message ", SCRIPT + b"\n  <bpmn:message ", 1)
    assert carrying != bpmn
    deploy_process(deployed, "test", carrying, dmn)
    return deployed


def _served_as_data(response, file_name: str) -> None:
    assert response.status_code == 200 and SCRIPT in response.data
    assert response.headers["Content-Disposition"] == f'attachment; filename="{file_name}"'
    assert response.mimetype == "application/xml"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = [part.strip() for part in response.headers["Content-Security-Policy"].split(";")]
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert "script-src 'self'" not in policy


def test_a_case_diagram_with_script_is_a_sandboxed_download(scripted, client):
    case_id = open_case(scripted, COUNSELLOR).case_id
    Auth(client).login("anna")
    _served_as_data(client.get(f"/faelle/{case_id}/prozess.bpmn"), "prozess.bpmn")


@pytest.mark.parametrize("query", ["", "?inline=1"])
def test_a_version_file_with_script_is_a_sandboxed_download_also_for_the_editor(scripted, client, query):
    Auth(client).login("paul")
    _served_as_data(client.get(f"/prozesse/{KEY}/v2/{KEY}.bpmn{query}"), f"{KEY}.bpmn")
    dmn = client.get(f"/prozesse/{KEY}/v2/risikostufe.dmn{query}")
    assert dmn.headers["Content-Disposition"] == 'attachment; filename="risikostufe.dmn"'
    assert "sandbox" in dmn.headers["Content-Security-Policy"]
