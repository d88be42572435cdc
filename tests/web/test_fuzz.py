"""Fuzzing every route of ``app.url_map`` with every method, anonymously and in every role (and the second
factor's pages with the second factor on): URL parameters filled with existing ids and with junk, query
parameters and form fields (the names of the real forms' fields and invented ones) with unicode digits, huge
numbers, NUL bytes, very long strings. No answer may be >= 500.

A first pass sends every route one hostile request per person (so every route is reached whatever Hypothesis
draws); then Hypothesis draws persons, routes and inputs at random (fewer examples on PostgreSQL)."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from engine.demo.seed import load_demo
from engine.staff.accounts import add_staff
from engine.store.referral_tables import SupportOffer
from engine.store.tables import Case, ProcessVersion, Staff, Task
from engine.strafantrag.periods import record_offence
from tests.conftest import TEAM_LEAD
from tests.web.conftest import PASSWORD, ROLES, Auth, csrf_token
from web.app import create_app
from web.second_factor import OPEN_BEFORE_SECOND_FACTOR

EXAMPLES = {"sqlite": 500, "postgresql": 120}
PEOPLE = (None, *ROLES)
STATUSES: Counter[tuple[str, int]] = Counter()  # (endpoint, status) of every answer, to see the views reached
ARGUMENT = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
FIELD_NAME = re.compile(r'\sname="([^"]+)"')
QUERY_NAMES = ("tab", "risk", "step", "land", "due", "sort", "page", "bedarf", "frau", "suche", "von", "nach")
QUERY_NAMES += ("inline", "next", "q", "status", "kategorie", "typename", "__class__")
HOSTILE = (
    "⁶",
    "⁶⁶⁶⁶⁶⁶",
    "１２３４５６",
    "٣",
    "６",
    "²³",
    "-1",
    "0",
    "9" * 5000,
    str(2**63),
    str(2**31),
    "1e309",
    "NaN",
    "\x00",
    "a\x00b",
    "",
    " ",
    "x" * 70_000,
    "ja",
    "true",
    "2026-02-30",
    "31.02.2026",
    "99999-01-01",
    "HOCH",
    "typename",
    "<html:script>alert(1)</html:script>",
    "../../etc/passwd",
    '=HYPERLINK("x")',
)
printable = st.characters(
    exclude_characters="\x00", exclude_categories=["Cs"]
)  # NUL only now and then (it ends at web/request_text)
junk_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(printable, max_size=40),
    st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=12),
    st.integers().map(str),
)


@dataclass
class Ground:
    """What the fuzzer aims at: the rules, existing values of their URL parameters, the real field names."""

    rules: list[tuple[str, str, str]]  # (endpoint, method, rule text)
    existing: dict[str, list[str]]
    open_tasks: list[str]
    field_names: list[str] = field(default_factory=list)


def _ground(app, ctx) -> Ground:
    load_demo(ctx)
    add_staff(ctx, "test", "zora", "Zora", PASSWORD, ["beratung"])  # whom staff administration may hit
    with ctx.unit_of_work(writes=False) as session:
        cases = [str(i) for i in session.scalars(select(Case.id).order_by(Case.status.desc(), Case.id))]
        references = [str(reference) for reference in session.scalars(select(Case.reference)) if reference]
        tasks = list(session.scalars(select(Task.id).order_by(Task.status.desc(), Task.id)))  # open first
        open_tasks = list(session.scalars(select(Task.id).where(Task.status == "open").order_by(Task.id)))
        offers = [str(i) for i in session.scalars(select(SupportOffer.id))]
        others = [name for name in session.scalars(select(Staff.username)) if name not in ROLES]
        versions = session.execute(
            select(ProcessVersion.key, ProcessVersion.version, ProcessVersion.dmn_xml)
        ).all()
    offence = record_offence(ctx, TEAM_LEAD, int(cases[0]), "beleidigung", date(2026, 5, 20), None)
    existing = {
        "case_id": cases,
        "task_id": tasks,
        "offer_id": offers,
        "offence_id": [str(offence)],
        "key": sorted({key for key, _, _ in versions}),
        "version": sorted({str(version) for _, version, _ in versions}),
        "file_name": sorted(
            {name for *_, dmn in versions for name in json.loads(dmn)} | {"fallbearbeitung.bpmn"}
        ),
        "filename": ["lotse.css", "dist/app.js"],
        "username": others,  # staff administration aims at others: the fuzzing people stay signed in
        "session_id": ["999999"],
        "absence_id": ["999999"],
        "token": ["kein-gueltiger-link"],
        "reference": references,
    }
    rules = sorted(
        (rule.endpoint, method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )
    for rule in app.url_map.iter_rules():  # a route added later is fuzzed too, its ids at least as "1"
        for argument in rule.arguments:
            existing.setdefault(argument, ["1"])
    return Ground(rules, existing, open_tasks)


class Person:
    """One browser: anonymous or signed in in a role, with a CSRF token of its session."""

    def __init__(self, app, who: str | None) -> None:
        self.app, self.who = app, who
        self.client = app.test_client()
        self.sign_in()

    def sign_in(self) -> None:
        if self.who is not None:
            Auth(self.client).login(self.who)
        self.token = csrf_token(self.client.get("/login", follow_redirects=True).get_data(as_text=True))

    def send(self, endpoint: str, method: str, url: str, query: MultiDict, form: MultiDict, with_token: bool):
        if with_token and method != "GET":
            form = MultiDict([("csrf_token", self.token), *form.items(multi=True)])
        where = f"{self.who or 'anonymous'} {method} {url} query={list(query.items(multi=True))!r:.300}"
        where += f" form={list(form.items(multi=True))!r:.300}"
        try:
            response = self.client.open(
                url, method=method, query_string=query, data=form if method != "GET" else None
            )
        except Exception as error:  # the test client re-raises what would be a 500
            raise AssertionError(f"{where}: {error!r}") from error
        assert response.status_code < 500, f"{where}: {response.status_code}"
        STATUSES[(endpoint, response.status_code)] += 1
        if endpoint == "auth.logout" or (
            self.who and response.headers.get("Location", "").startswith("/login")
        ):
            self.sign_in()
        return response


def _url(rule: str, values: dict[str, str]) -> str:
    return ARGUMENT.sub(lambda found: quote(values[found.group(1)], safe=""), rule)


def _harvest(people: list[Person], ground: Ground) -> None:
    """The names of the fields on every page each person can open (GET with existing ids)."""
    names = set(QUERY_NAMES)
    for person in people:
        for endpoint, method, rule in ground.rules:
            if method != "GET" or endpoint == "static":
                continue
            for value in ground.existing.get("task_id", [])[:6] if "<task_id>" in rule else [None]:
                values = {name: found[0] for name, found in ground.existing.items()}
                if value is not None:
                    values["task_id"] = value
                response = person.client.get(_url(rule, values))
                if response.mimetype == "text/html":
                    names.update(FIELD_NAME.findall(response.get_data(as_text=True)))
    names.discard("csrf_token")
    ground.field_names = sorted(names)


def _hostile_pass(people: list[Person], ground: Ground) -> None:
    """Every rule and method once per person, every real field name with a hostile value; the task forms
    of every open task (each step of the model) by a team lead, who may work on all of them."""
    task_forms = [("tasks.submit", "POST", "/aufgaben/<task_id>", task) for task in ground.open_tasks]
    for person in people:
        targets = [(*found, None) for found in ground.rules]
        if person.who == "tara":
            targets += task_forms
        for number, (endpoint, method, rule, task) in enumerate(targets):
            values = {name: found[number % len(found)] for name, found in ground.existing.items()}
            if task is not None:
                values["task_id"] = task
            pairs = [
                (name, HOSTILE[(number + index) % len(HOSTILE)])
                for index, name in enumerate(ground.field_names)
            ]
            clean = [
                (name, value) for name, value in pairs if "\x00" not in value
            ]  # else all end at the NUL check
            query = MultiDict(clean if method == "GET" else pairs[:3])
            person.send(endpoint, method, _url(rule, values), query, MultiDict(clean), with_token=True)


def test_no_route_answers_500_to_anything(app, deployed):
    ground = _ground(app, deployed)
    people = [Person(app, who) for who in PEOPLE]
    _harvest(people, ground)
    assert len(ground.field_names) > 40, ground.field_names  # task forms, directory, calendar, processes …
    STATUSES.clear()
    _hostile_pass(people, ground)

    parameter = {
        name: st.one_of(st.sampled_from(found), junk_text) if found else junk_text
        for name, found in ground.existing.items()
    }
    names = st.one_of(
        st.sampled_from(ground.field_names),
        st.sampled_from(ground.field_names),
        st.sampled_from(ground.field_names),
        st.text(printable, max_size=12),  # invented, now and then without a name
    )
    pairs = st.lists(st.tuples(names, junk_text), max_size=8).map(MultiDict)

    @settings(
        max_examples=EXAMPLES[deployed.db.dialect.name],
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def probe(data) -> None:
        person = data.draw(st.sampled_from(people), label="person")
        endpoint, method, rule = data.draw(st.sampled_from(ground.rules), label="rule")
        values = {name: data.draw(parameter[name], label=name) for name in ARGUMENT.findall(rule)}
        query = data.draw(pairs, label="query")
        form = data.draw(pairs, label="form")
        with_token = data.draw(st.sampled_from([True, True, True, False]), label="token")
        person.send(endpoint, method, _url(rule, values), query, form, with_token)

    probe()
    reached = {status for _, status in STATUSES}
    assert {200, 302, 400, 403, 404, 422} <= reached, STATUSES
    print(sorted(STATUSES.items()))


def test_the_second_factor_pages_answer_no_500_either(app, deployed, tmp_path):
    """With the second factor on (the suite runs without it): a session that gave only the password fuzzes
    the pages it may reach, the enrolment's code field above all."""
    guarded = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": tmp_path,
            "LOTSE_CONTEXT": deployed,
            "LOTSE_SECOND_FACTOR": True,
            "LOTSE_CODE_RATE_LIMIT": "10000/minute",
        }
    )
    people = [Person(guarded, None), Person(guarded, "anna")]
    rules = [
        (r.endpoint, m, r.rule)
        for r in guarded.url_map.iter_rules()
        for m in sorted(r.methods - {"HEAD", "OPTIONS"})
    ]
    rules = sorted(rule for rule in rules if rule[0] in OPEN_BEFORE_SECOND_FACTOR and rule[0] != "static")
    names = st.sampled_from(["code", "language", "next", "code", "code"])
    pairs = st.lists(st.tuples(names, junk_text), max_size=4).map(MultiDict)

    @settings(
        max_examples=EXAMPLES[deployed.db.dialect.name] // 5, deadline=None, database=None, derandomize=True
    )
    @given(data=st.data())
    def probe(data) -> None:
        person = data.draw(st.sampled_from(people), label="person")
        endpoint, method, rule = data.draw(st.sampled_from(rules), label="rule")
        form = data.draw(pairs, label="form")
        query = data.draw(pairs, label="query")
        person.send(endpoint, method, rule, query, form, with_token=True)

    for code in HOSTILE:
        for person in people:
            for endpoint, method, rule in rules:
                if method == "POST" and endpoint != "auth.logout":
                    person.send(
                        endpoint, method, rule, MultiDict(), MultiDict({"code": code}), with_token=True
                    )
    probe()
