"""The directory as a CSV file: export, an import preview that shows every change, all-or-nothing import.

Columns are the attributes' text forms (see ``engine.directory.offers``); ``key`` identifies an entry.
Only ``key`` is required in the header: for an existing entry, a column left out keeps its stored value.
The shipped seed file (``workflows/verzeichnis/angebote.csv``) is read by the same parser.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from engine.directory.edits import insert_offer, update_offer
from engine.directory.offers import FIELDS, OfferData, OfferInvalid, data_of, offer_text, parse_offer
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError, NotPermitted
from engine.store.referral_tables import SupportOffer

SEED_FILE = Path(__file__).resolve().parents[2] / "workflows" / "verzeichnis" / "angebote.csv"
MAX_BYTES = 2_000_000
# A spreadsheet takes a cell starting with one of these for a formula (=HYPERLINK(…) in a note would be a
# live link): such cells are written with a leading apostrophe, which the import takes off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Message = tuple[str, str]


@dataclass(frozen=True)
class RowError:
    line: int  # line number in the file (the header is line 1)
    key: str
    messages: tuple[Message, ...]


@dataclass(frozen=True)
class RowChange:
    line: int
    key: str
    name: str
    kind: str  # new, changed, unchanged
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportPreview:
    rows: tuple[RowChange, ...]
    errors: tuple[RowError, ...]
    file_errors: tuple[Message, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_errors

    def count(self, kind: str) -> int:
        return sum(1 for row in self.rows if row.kind == kind)


class ImportRefused(DomainError):
    """The file has errors; nothing was imported."""

    code = "import_refused"

    def __init__(self, preview: ImportPreview) -> None:
        self.preview = preview
        problems = len(preview.errors) + len(preview.file_errors)
        super().__init__(
            f"Nichts wurde importiert: die Datei hat {problems} Fehler.",
            f"Nothing was imported: the file has {problems} error(s).",
        )


def export_csv(ctx: EngineContext) -> str:
    """Every entry, retired ones included (column ``retired``), in the import format."""
    with ctx.unit_of_work(writes=False) as session:
        rows = session.scalars(select(SupportOffer).order_by(SupportOffer.key)).all()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*FIELDS, "retired"])
        for row in rows:
            text = offer_text(data_of(row))
            cells = [*(text[name] for name in FIELDS), "ja" if row.retired_at else "nein"]
            writer.writerow([neutralised(cell) for cell in cells])
        return out.getvalue()


def _formula_like(cell: str) -> bool:
    """Starts like a formula, perhaps behind apostrophes (so that the apostrophe Lotse adds round-trips)."""
    return cell.lstrip("'").startswith(FORMULA_STARTS)


def neutralised(cell: str) -> str:
    """A cell no spreadsheet runs as a formula: one apostrophe in front of a formula-like cell."""
    return "'" + cell if _formula_like(cell) else cell


def restored(cell: str) -> str:
    """The cell ``neutralised`` wrote, as it was."""
    return cell[1:] if cell.startswith("'") and _formula_like(cell) else cell


def _records(text: str) -> tuple[list[tuple[int, dict[str, str]]], list[Message]]:
    """(line, column -> value) per data row, or file-level problems."""
    if len(text.encode()) > MAX_BYTES:
        return [], [("Die Datei ist größer als 2 MB.", "The file is larger than 2 MB.")]
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration:
        return [], [("Die Datei ist leer.", "The file is empty.")]
    unknown = [column for column in header if column not in FIELDS and column != "retired"]
    if unknown:
        return [], [
            (f"Unbekannte Spalten: {', '.join(unknown)}.", f"Unknown columns: {', '.join(unknown)}."),
        ]
    if "key" not in header:
        return [], [("Die Spalte „key“ fehlt.", "The column 'key' is missing.")]
    records = []
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            record = dict(zip(header, map(restored, values), strict=False))
            if len(values) > len(header):
                record["_too_many"] = "1"
            records.append((reader.line_num, record))
    except csv.Error as error:
        return [], [(f"Die Datei ist kein lesbares CSV: {error}.", f"The file is not readable CSV: {error}.")]
    return records, []


def preview_import(ctx: EngineContext, text: str) -> ImportPreview:
    """What an import of ``text`` would change, row by row; changes nothing."""
    with ctx.unit_of_work(writes=False) as session:
        preview, _ = _plan(session, text)
        return preview


def apply_import(ctx: EngineContext, actor: Actor, text: str, now: datetime | None = None) -> ImportPreview:
    """Import every row or none: any row error refuses the whole file (ImportRefused)."""
    if not actor.is_team_lead:
        raise NotPermitted("import directory")
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        preview, planned = _plan(session, text)
        if not preview.ok:
            raise ImportRefused(preview)
        _write(session, planned, now, actor.username, "imported")
        changed = preview.count("new") + preview.count("changed")
        if changed:
            audit.record(session, now, actor.username, "directory_changed", None, f"imported {changed}")
        session.commit()
    return preview


def load_seed(ctx: EngineContext, path: Path = SEED_FILE, now: datetime | None = None) -> int:
    """Add the seed entries whose key is not in the directory yet; never overwrites an edit. Returns how many."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        preview, planned = _plan(session, path.read_text(encoding="utf-8"))
        if not preview.ok:
            raise ImportRefused(preview)
        new = [(row, data) for row, data in planned if row is None]
        _write(session, new, now, "seed", "created")
        session.commit()
    return len(new)


def _plan(session, text: str) -> tuple[ImportPreview, list[tuple[SupportOffer | None, OfferData]]]:
    records, file_errors = _records(text)
    if file_errors:
        return ImportPreview((), (), tuple(file_errors)), []
    stored = {row.key: row for row in session.scalars(select(SupportOffer))}
    seen: dict[str, int] = {}
    changes: list[RowChange] = []
    errors: list[RowError] = []
    planned: list[tuple[SupportOffer | None, OfferData]] = []
    for line, record in records:
        key = record.get("key", "").strip()
        record.pop("retired", None)
        problems: list[Message] = []
        if record.pop("_too_many", None):
            problems.append(
                ("Die Zeile hat mehr Zellen als die Kopfzeile.", "The row has more cells than the header.")
            )
        if key in seen:
            problems.append(
                (
                    f"Das Kürzel {key} steht schon in Zeile {seen[key]}.",
                    f"The key {key} is already in line {seen[key]}.",
                )
            )
        seen.setdefault(key, line)
        row = stored.get(key)
        base = offer_text(data_of(row)) if row is not None else {}
        try:
            data = parse_offer({**base, **record})
        except OfferInvalid as invalid:
            problems.extend(invalid.errors.values())
            data = None
        if problems or data is None:
            errors.append(RowError(line, key, tuple(problems)))
            continue
        if row is None:
            changes.append(RowChange(line, key, data.name, "new", _text_diff({}, data)))
            planned.append((None, data))
        else:
            diff = _text_diff(base, data)
            changes.append(RowChange(line, key, data.name, "changed" if diff else "unchanged", diff))
            if diff:
                planned.append((row, data))
    return ImportPreview(tuple(changes), tuple(errors)), planned


def _text_diff(before: dict[str, str], after: OfferData) -> dict[str, tuple[str, str]]:
    new = offer_text(after)
    return {name: (before.get(name, ""), new[name]) for name in FIELDS if before.get(name, "") != new[name]}


def _write(
    session, planned: list[tuple[SupportOffer | None, OfferData]], now: datetime, by: str, action: str
) -> None:
    for row, data in planned:
        if row is None:
            insert_offer(session, data, now, by, action)
        else:
            update_offer(session, row, data, now, by, action)


def csv_text(rows: list[dict[str, str]]) -> str:
    """A CSV document with the full column set (for tests and tools that build files)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(FIELDS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: neutralised(row.get(name, "")) for name in FIELDS})
    return out.getvalue()
