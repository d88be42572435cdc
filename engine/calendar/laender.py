"""The sixteen German Länder: their codes and their names in German and English (the one list)."""

from __future__ import annotations

# Code (as in ISO 3166-2:DE and the holidays package) -> (German name, English name), by German name.
LAENDER: dict[str, tuple[str, str]] = {
    "BW": ("Baden-Württemberg", "Baden-Württemberg"),
    "BY": ("Bayern", "Bavaria"),
    "BE": ("Berlin", "Berlin"),
    "BB": ("Brandenburg", "Brandenburg"),
    "HB": ("Bremen", "Bremen"),
    "HH": ("Hamburg", "Hamburg"),
    "HE": ("Hessen", "Hesse"),
    "MV": ("Mecklenburg-Vorpommern", "Mecklenburg-Western Pomerania"),
    "NI": ("Niedersachsen", "Lower Saxony"),
    "NW": ("Nordrhein-Westfalen", "North Rhine-Westphalia"),
    "RP": ("Rheinland-Pfalz", "Rhineland-Palatinate"),
    "SL": ("Saarland", "Saarland"),
    "SN": ("Sachsen", "Saxony"),
    "ST": ("Sachsen-Anhalt", "Saxony-Anhalt"),
    "SH": ("Schleswig-Holstein", "Schleswig-Holstein"),
    "TH": ("Thüringen", "Thuringia"),
}

GERMAN_LANDS: frozenset[str] = frozenset(LAENDER)


def land_names(language: str) -> list[tuple[str, str]]:
    """(code, name) of every Land in the order above, named in German or, for ``"en"``, in English."""
    return [(code, names[1] if language == "en" else names[0]) for code, names in LAENDER.items()]
