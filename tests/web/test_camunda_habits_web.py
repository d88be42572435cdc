"""The review page names the uploaded file and, for a Camunda habit, what to write instead."""

from __future__ import annotations

import html
import io

from tests.corpus import FIXES, corpus_files
from tests.web.test_processes import _owner


def _upload(client, token: str, name: str, bpmn: bytes):
    return client.post(
        "/prozesse/hochladen",
        data={"csrf_token": token, "datei": (io.BytesIO(bpmn), name)},
        content_type="multipart/form-data",
    )


def test_a_file_level_refusal_names_the_uploaded_file(deployed, client):
    token = _owner(client)
    bpmn = corpus_files("juel_condition")[1].replace(b'isExecutable="true"', b'isExecutable="false"')
    page = _upload(client, token, "mein_prozess.bpmn", bpmn).get_data(as_text=True)
    assert "mein_prozess.bpmn: Erwartet wird" in page and "process.bpmn" not in page


def test_a_juel_condition_is_refused_with_its_python_equivalent_in_the_page(deployed, client):
    token = _owner(client)
    name, bpmn, _dmn = corpus_files("juel_condition")
    response = _upload(client, token, name, bpmn)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "volljaehrig_weiter" in page and f"Schreiben Sie {FIXES['juel_condition'][2]}" in page
    assert "SyntaxError" not in page and "Syntax" not in page
