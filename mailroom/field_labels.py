"""Body labels: folded for matching, with built-in synonyms per language."""

from __future__ import annotations

import re
import unicodedata

from mailroom.config import FieldMapConfig

# Labels that people write for common fields, in English, German, French,
# Spanish, Italian, Dutch, Portuguese, the Nordic languages and Polish.
# They are folded before use, so accents and case need no variants.
_SYNONYMS = {
    "priority": (
        "Priority, Prio, Priorität, Priorité, Prioridad, Priorità, Prioriteit, "
        "Prioridade, Prioritet, Prioriteetti, Priorytet"
    ),
    "severity": (
        "Severity, Schweregrad, Gravité, Sévérité, Gravedad, Severidad, "
        "Gravità, Severità, Ernstigheid, Gravidade, Severidade, "
        "Allvarlighetsgrad, Alvorlighed, Alvorlighetsgrad, Vakavuus, Ważność"
    ),
    "category": "Category, Kategorie, Catégorie, Categoría, Kategori, Kategoria",
    "component": (
        "Component, Komponente, Composant, Componente, Komponent, Komponentti"
    ),
    "environment": (
        "Environment, Umgebung, Environnement, Entorno, Ambiente, Omgeving, "
        "Miljö, Miljø, Ympäristö, Środowisko"
    ),
    "location": (
        "Location, Site, Standort, Ort, Emplacement, Lieu, Ubicación, Sede, "
        "Posizione, Luogo, Locatie, Plaats, Localização, Local, Plats, "
        "Placering, Sted, Plassering, Sijainti, Lokalizacja"
    ),
    "asset": (
        "Asset, Asset tag, Inventarnummer, Actif, Équipement, Activo, Cespite, "
        "Bedrijfsmiddel, Ativo, Tillgång, Inventarienummer, Eiendel, "
        "Omaisuuserä, Zasób"
    ),
    "due_date": (
        "Due date, Due, Deadline, Fälligkeitsdatum, Fällig am, Frist, Termin, "
        "Date d'échéance, Échéance, Fecha límite, Fecha de vencimiento, "
        "Scadenza, Data di scadenza, Vervaldatum, Data de vencimento, Prazo, "
        "Förfallodatum, Forfaldsdato, Forfallsdato, Eräpäivä, Määräaika, "
        "Termin realizacji"
    ),
    "impact": (
        "Impact, Auswirkung, Impacto, Impatto, Påverkan, Påvirkning, Vaikutus, Wpływ"
    ),
    "urgency": (
        "Urgency, Dringlichkeit, Urgence, Urgencia, Urgenza, Urgentie, "
        "Brådska, Hastegrad, Kiireellisyys, Pilność"
    ),
}
DEFAULT_ALIASES = {field: labels.split(", ") for field, labels in _SYNONYMS.items()}

_SEPARATORS = re.compile(r"[\s_\-]+")


def fold_label(label: str) -> str:
    """Fold a label for matching: no accents, no case, one space per gap.

    Underscores and hyphens count as spaces, so `Due_Date`, `due-date` and
    `Due  Date` are one label.
    """
    return _SEPARATORS.sub(" ", fold_text(label)).strip()


def fold_text(text: str) -> str:
    """Fold a value for matching: no accents, no case, one space per gap."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


_INDEXES: dict[int, tuple[FieldMapConfig, dict[str, str]]] = {}


def label_index(config: FieldMapConfig) -> dict[str, str]:
    """Return the field that each folded label maps to, built once per config.

    Configurations are frozen, so the index of one stays valid; it is kept
    by identity because the config's dictionaries make it unhashable.
    """
    cached = _INDEXES.get(id(config))
    if cached is not None and cached[0] is config:
        return cached[1]
    index = _build_index(config)
    _INDEXES[id(config)] = (config, index)
    return index


def _build_index(config: FieldMapConfig) -> dict[str, str]:
    """Return the field that each folded label maps to.

    `body_keys` come first, then the configured aliases, then the built-in
    synonyms. A built-in group counts when `body_keys` maps one of its
    labels (its other labels then go to that label's field), when the
    configuration names the group's field anywhere, or when unmapped labels
    are kept.
    """
    mapped = {fold_label(k): v for k, v in config.body_keys.items()}
    index = dict(mapped)
    for field, labels in config.aliases.items():
        for label in labels:
            index.setdefault(fold_label(label), field)

    named = _named_fields(config)
    keep = config.unmapped_keys == "keep"
    for group, labels in DEFAULT_ALIASES.items():
        folded = [fold_label(label) for label in labels]
        target = _group_field(group, folded, mapped, named, keep)
        if target:
            index |= {label: target for label in folded if label not in index}
    return index


def _group_field(
    group: str, folded: list[str], mapped: dict[str, str], named: set[str], keep: bool
) -> str | None:
    """Return the field a built-in synonym group maps to, if it counts."""
    for label in folded:
        if label in mapped:
            return mapped[label]
    return group if group in named or keep else None


def _named_fields(config: FieldMapConfig) -> set[str]:
    """Return every field that the configuration names."""
    named = set(config.body_keys.values()) | set(config.aliases)
    named |= set(config.types) | set(config.allowed_values)
    named |= {config.importance_field or "", config.priority_field or ""}
    return named - {""}
