"""The referral directory on SQLite and PostgreSQL: seed, edits with history, search, retire, re-verification,
CSV export and an all-or-nothing import."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from engine.directory.csv_exchange import (
    SEED_FILE,
    ImportRefused,
    apply_import,
    csv_text,
    export_csv,
    load_seed,
    preview_import,
)
from engine.directory.edits import OfferChangedMeanwhile, change_offer, create_offer, retire_offer
from engine.directory.history import read_offer
from engine.directory.offers import OfferInvalid, parse_offer
from engine.directory.search import search_offers
from engine.directory.verification import mark_verified, needs_reverification
from engine.kernel.errors import NotPermitted
from engine.store.referral_tables import SupportOffer, SupportOfferChange
from tests.conftest import COUNSELLOR, TEAM_LEAD


def entry(**overrides: str) -> dict[str, str]:
    base = {
        "key": "beratung_test",
        "name": "Beratungsstelle Test",
        "organisation": "Träger Test",
        "lands": "BY",
        "category": "opferberatung",
        "incident_types": "bedrohung",
        "needs": "begleitung",
        "email": "kontakt@example.org",
        "confidence": "M",
        "warm_handover": "ja",
    }
    return base | overrides


def count(ctx, model) -> int:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_seed_loads_once_with_sources_and_flags_and_never_overwrites_edits(ctx):
    added = load_seed(ctx)
    assert added == count(ctx, SupportOffer) >= 40
    offers = {offer.key: offer for offer in search_offers(ctx)}
    assert offers["polizei_sn_zastex"].phone == "0351 855-2223"
    assert offers["polizei_sn_zastex"].lands == ("SN",) and offers["polizei_sn_zastex"].confidence == "H"
    # not public: no number invented, flagged internal and for verification
    berlin = offers["polizei_be_lka"]
    assert berlin.internal_only and berlin.phone == "" and berlin.verify
    assert offers["polizei_nw"].confidence == "M" and offers["polizei_nw"].verify
    assert offers["respect"].nationwide and offers["respect"].source_url.startswith("https://")
    assert all(offer.source_url or offer.verify for offer in offers.values())
    # an edit survives a second seed run
    data = replace(offers["respect"].data, notes="geprüft am Telefon")
    change_offer(ctx, TEAM_LEAD, offers["respect"].id, data, offers["respect"].version)
    assert load_seed(ctx) == 0
    assert read_offer(ctx, offers["respect"].id)[0].notes == "geprüft am Telefon"


def test_edit_keeps_who_and_when_and_refuses_a_stale_version(ctx, clock):
    offer_id = create_offer(ctx, TEAM_LEAD, parse_offer(entry()))
    offer, _ = read_offer(ctx, offer_id)
    clock.advance(timedelta(hours=1))
    changes = change_offer(ctx, TEAM_LEAD, offer_id, replace(offer.data, phone="089 123"), offer.version)
    assert changes == {"phone": ("", "089 123")}
    with pytest.raises(OfferChangedMeanwhile) as stale:
        change_offer(ctx, TEAM_LEAD, offer_id, replace(offer.data, phone="089 999"), offer.version)
    assert "tara" in stale.value.german
    offer, history = read_offer(ctx, offer_id)
    assert offer.phone == "089 123"
    assert [(h.action, h.by) for h in history] == [("changed", "tara"), ("created", "tara")]
    assert history[0].at == clock.now() and history[0].changes == {"phone": ("", "089 123")}


def test_invalid_entries_are_refused_with_messages_in_both_languages(ctx):
    with pytest.raises(OfferInvalid) as invalid:
        parse_offer(entry(lands="BY XX", category="sonstiges", email="kein-at", key="Mit Leerzeichen"))
    assert set(invalid.value.errors) == {"lands", "category", "email", "key"}
    assert "XX" in invalid.value.errors["lands"][0] and "XX" in invalid.value.errors["lands"][1]
    with pytest.raises(NotPermitted):
        create_offer(ctx, COUNSELLOR, parse_offer(entry()))
    create_offer(ctx, TEAM_LEAD, parse_offer(entry()))
    with pytest.raises(OfferInvalid):
        create_offer(ctx, TEAM_LEAD, parse_offer(entry(name="Doppelt")))
    assert count(ctx, SupportOffer) == 1


def test_search_by_text_land_and_category_and_retire(ctx):
    load_seed(ctx)
    found = search_offers(ctx, text="zastex")
    assert [offer.key for offer in found] == ["polizei_sn_zastex"]
    in_bavaria = {offer.key for offer in search_offers(ctx, land="BY", category="online")}
    assert {"hateaid", "respect"} <= in_bavaria and "hessengegenhetze" not in in_bavaria
    retire_offer(ctx, TEAM_LEAD, found[0].id)
    assert search_offers(ctx, text="zastex") == []
    retired = search_offers(ctx, text="zastex", retired=True)
    assert retired[0].retired_at is not None
    assert read_offer(ctx, found[0].id)[1][0].action == "retired"


def test_reverification_list_after_twelve_months(ctx, clock):
    offer_id = create_offer(ctx, TEAM_LEAD, parse_offer(entry(last_verified="2025-06-02")))
    fresh = create_offer(ctx, TEAM_LEAD, parse_offer(entry(key="frisch", last_verified="2026-05-01")))
    never = create_offer(ctx, TEAM_LEAD, parse_offer(entry(key="nie_geprueft")))
    due = {offer.id for offer in needs_reverification(ctx)}  # today: 1 June 2026
    assert due == {never}
    clock.advance(timedelta(days=1))
    assert {offer.id for offer in needs_reverification(ctx)} == {offer_id, never}
    mark_verified(ctx, TEAM_LEAD, never)
    assert read_offer(ctx, never)[0].last_verified == date(2026, 6, 2)
    assert {offer.id for offer in needs_reverification(ctx)} == {offer_id}
    assert fresh not in {offer.id for offer in needs_reverification(ctx)}


def test_csv_export_round_trips_and_the_preview_shows_changes_without_writing(ctx):
    load_seed(ctx)
    exported = export_csv(ctx)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == count(ctx, SupportOffer)
    assert preview_import(ctx, exported).count("unchanged") == len(rows)
    for row in rows:
        if row["key"] == "polizei_nw":
            row["phone"] = "0211 871-0000"
    rows.append(entry(key="neu_im_import", lands="bundesweit"))
    changed = csv_text(rows)
    history_before = count(ctx, SupportOfferChange)
    preview = preview_import(ctx, changed)
    assert preview.ok and preview.count("new") == 1 and preview.count("changed") == 1
    nw = next(row for row in preview.rows if row.key == "polizei_nw")
    assert nw.changes == {"phone": ("0211 871-3131", "0211 871-0000")}
    assert count(ctx, SupportOfferChange) == history_before  # a preview writes nothing
    apply_import(ctx, TEAM_LEAD, changed)
    assert {offer.key: offer.phone for offer in search_offers(ctx, text="polizei_nw")} == {
        "polizei_nw": "0211 871-0000"
    }
    assert count(ctx, SupportOfferChange) == history_before + 2


def test_formula_cells_are_neutralised_in_the_export_and_round_trip_unchanged(ctx):
    notes = '=HYPERLINK("https://example.org/x","Klick")'
    risky = {
        "notes": notes,
        "phone": "+49 30 1234567",
        "opening_hours": "-Mo geschlossen-",
        "languages": "@deutsch",
        "organisation": "'=schon mit Apostroph",
        "name": "'Anführung' bleibt",
    }
    created = create_offer(ctx, TEAM_LEAD, parse_offer(entry(**risky)))
    exported = export_csv(ctx)
    row = next(row for row in csv.DictReader(io.StringIO(exported)) if row["key"] == "beratung_test")
    assert row["notes"] == "'" + notes and row["phone"] == "'+49 30 1234567"
    assert row["opening_hours"] == "'-Mo geschlossen-" and row["languages"] == "'@deutsch"
    assert row["organisation"] == "''=schon mit Apostroph" and row["name"] == "'Anführung' bleibt"
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in exported.split(","))
    assert preview_import(ctx, exported).count("unchanged") == count(ctx, SupportOffer)
    apply_import(ctx, TEAM_LEAD, exported)
    stored = read_offer(ctx, created)[0].data
    assert (stored.notes, stored.phone, stored.organisation, stored.name) == (
        notes,
        "+49 30 1234567",
        "'=schon mit Apostroph",
        "'Anführung' bleibt",
    )
    assert export_csv(ctx) == exported


def test_malformed_rows_give_per_row_errors_and_nothing_is_imported(ctx):
    load_seed(ctx)
    before = export_csv(ctx)
    text = csv_text(
        [
            entry(key="gut_1"),
            entry(key="schlecht_land", lands="BY ZZ"),
            entry(key="gut_2", phone="0800 1"),
            entry(key="gut_1", name="doppelt"),
            entry(key="schlecht_datum", last_verified="31.12.2025", category=""),
        ]
    )
    text = text.replace("gut_2,", "polizei_nw,", 1)  # a change to an existing entry among the rows
    preview = preview_import(ctx, text)
    assert not preview.ok
    by_line = {error.line: error for error in preview.errors}
    assert set(by_line) == {3, 5, 6}
    assert "ZZ" in by_line[3].messages[0][0]
    assert "Zeile 2" in by_line[5].messages[0][0] and "line 2" in by_line[5].messages[0][1]
    assert len(by_line[6].messages) == 2
    with pytest.raises(ImportRefused) as refused:
        apply_import(ctx, TEAM_LEAD, text)
    assert "Nichts wurde importiert" in refused.value.german
    assert export_csv(ctx) == before


def test_file_level_problems(ctx):
    assert preview_import(ctx, "").file_errors
    unknown = preview_import(ctx, "key,name,telefon\nx,y,z\n")
    assert "telefon" in unknown.file_errors[0][0]
    too_many = preview_import(ctx, "key,name\nabc,Name,zu viel\n")
    assert too_many.errors[0].line == 2
    semicolons = preview_import(
        ctx, "key;name;organisation;lands;category;confidence\nmit_semikolon;Name;Träger;NW;recht;L\n"
    )
    assert semicolons.ok and semicolons.count("new") == 1


def test_seed_file_is_valid_for_a_fresh_database(ctx):
    preview = preview_import(ctx, SEED_FILE.read_text(encoding="utf-8"))
    assert preview.ok and preview.count("new") == len(preview.rows)
