"""The incident types (a multiple choice) and the incident channel are projected for statistics, codes only."""

from engine.store.projection import projected_attributes


def test_multiple_choice_becomes_sorted_space_separated_codes() -> None:
    facts = projected_attributes(
        {"vorfallarten": ["bedrohung", "beleidigung", "bedrohung"], "vorfallkanal": "email"}
    )
    assert facts["incident_types"] == "bedrohung beleidigung"
    assert facts["incident_channel"] == "email"


def test_free_text_never_reaches_the_clear_columns() -> None:
    facts = projected_attributes(
        {"vorfallarten": ["beleidigung", "Herr Meier aus Bonn"], "vorfallkanal": "a b"}
    )
    assert "incident_types" not in facts and "incident_channel" not in facts
