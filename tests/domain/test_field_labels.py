"""Body labels in many languages, matched without case or accents."""

from __future__ import annotations

import pytest

from mailroom.config import FieldMapConfig
from mailroom.field_labels import DEFAULT_ALIASES, fold_label, label_index
from mailroom.fields import extract_fields
from tests.domain.mailfactory import make_mail

CONFIG = FieldMapConfig(
    body_keys={"Priority": "priority", "Ort": "location"},
    aliases={"severity": ["Sev", "Schwere"]},
    types={"due_date": "date"},
    importance_field=None,
)


def _values(body: str, config: FieldMapConfig = CONFIG) -> dict[str, str]:
    """Return the fields taken from a body."""
    return extract_fields(make_mail(text_body=body), config).values


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("Priorität: 2", "priority"),
        ("priorite: 2", "priority"),
        ("PRIORIDAD: 2", "priority"),
        ("Priorità = 2", "priority"),
        ("Prioriteit: 2", "priority"),
        ("Priorytet: 2", "priority"),
        ("Schweregrad: 2", "severity"),
        ("GRAVITÉ: 2", "severity"),
        ("gravedad: 2", "severity"),
        ("Sev: 2", "severity"),
        ("Allvarlighetsgrad: 2", "severity"),
        ("Ważność: 2", "severity"),
        ("Standort: B3", "location"),
        ("Ubicacion: B3", "location"),
        ("Lokalizacja: B3", "location"),
        ("Date d'échéance: 2026-12-03", "due_date"),
        ("Fälligkeitsdatum: 2026-12-03", "due_date"),
        ("Forfallsdato: 2026-12-03", "due_date"),
    ],
)
def test_aliases_in_several_languages(line: str, field: str) -> None:
    """A label of any listed language maps to its field, accents or not."""
    assert list(_values(f"{line}\n")) == [field]


@pytest.mark.parametrize(
    ("label", "folded"),
    [
        ("Due_Date", "due date"),
        ("due-date", "due date"),
        ("  Due   Date ", "due date"),
        ("Priorité", "priorite"),
        ("Größe", "grosse"),
        ("Środowisko", "srodowisko"),
    ],
)
def test_fold_label_ignores_case_accents_and_separators(
    label: str, folded: str
) -> None:
    """Case, accents, underscores, hyphens and spacing do not matter."""
    assert fold_label(label) == folded


def test_built_in_groups_follow_the_field_that_body_keys_names() -> None:
    """Synonyms of a label in body_keys go to that label's field."""
    config = FieldMapConfig(body_keys={"Prioridad": "u_priority"})

    assert label_index(config)["prioritat"] == "u_priority"


def test_built_in_groups_stay_off_for_fields_never_named() -> None:
    """With `ignore`, synonyms of a field the config never names map nothing."""
    assert _values("Kategorie: Hardware\nUrgence: haute\n") == {}


def test_keep_mode_names_synonyms_after_their_group() -> None:
    """With `keep`, a synonym becomes the group's field, not its own label."""
    keep = FieldMapConfig(unmapped_keys="keep", importance_field=None)

    assert _values("Kategorie: Hardware\n", keep) == {"category": "Hardware"}


def test_body_keys_win_over_aliases_and_synonyms() -> None:
    """An explicit body key keeps its field even if a synonym says otherwise."""
    config = CONFIG.model_copy(update={"body_keys": {"Sev": "sev_code"}})

    assert _values("Sev: 4\n", config) == {"sev_code": "4"}


def test_no_label_belongs_to_two_built_in_groups() -> None:
    """Each folded synonym names one field only."""
    labels = [fold_label(x) for group in DEFAULT_ALIASES.values() for x in group]

    assert len(labels) == len(set(labels))
