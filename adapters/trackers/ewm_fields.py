"""Fit mail fields to the attributes of an EWM change request.

The creation factory's resource shape (OSLC Core 2.0 `oslc:ResourceShape`)
lists each attribute as an `oslc:Property`: its `oslc:propertyDefinition`,
`oslc:name`, `dcterms:title`, `oslc:valueType`, and the values it allows,
inline (`oslc:allowedValue`) or in a linked `oslc:AllowedValues` document.
EWM's enumerations (severity, priority, ...) allow resources; the title a
person sees is each resource's `dcterms:title`, read once and cached.

A Mailroom field goes to the attribute that `field_map` names as a prefixed
name (`oslc_cmx:severity`, `rtc_ext:my.attribute`), or else to the
attribute whose name or title is the same (`severity` finds Severity). A
value must equal the title of an allowed value, case aside, and is sent as
that resource; an attribute with no listed values takes text. A Mailroom
field that finds no attribute at all is carried as text in the description
("Fields from the mail"), as the other tools do. A value an attribute
refuses, or a `field_map` entry naming an attribute the shape lacks, is
left out and reported as a FieldProblem.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from adapters.trackers.ewm_discovery import DCTERMS, OSLC, RDF, parse_rdf
from adapters.trackers.ewm_http import RDF_XML, EwmSession
from mailroom.models import FieldProblem

PREFIXES = {
    "dcterms": DCTERMS,
    "oslc": OSLC,
    "oslc_cm": "http://open-services.net/ns/cm#",
    "oslc_cmx": "http://open-services.net/ns/cm-x#",
    "rtc_cm": "http://jazz.net/xmlns/prod/jazz/rtc/cm/1.0/",
    "rtc_ext": "http://jazz.net/xmlns/prod/jazz/rtc/ext/1.0/",
}
RESOURCE_TYPES = {f"{OSLC}Resource", f"{OSLC}AnyResource", f"{OSLC}LocalResource"}
SHOWN_VALUES = 12
# Attributes and their values change when a process is edited.
SHAPE_TTL_SECONDS = 900.0

_RESOURCE = f"{{{RDF}}}resource"


@dataclass(frozen=True)
class Attribute:
    """One attribute of the change request shape."""

    definition: str
    name: str
    title: str
    takes_resources: bool = False
    allowed: tuple[str, ...] = ()
    allowed_link: str | None = None


@dataclass(frozen=True)
class Choice:
    """One allowed value: its title, and what to send for it."""

    title: str
    value: str
    resource: bool


def parse_shape(shape: ET.Element) -> list[Attribute]:
    """Return the attributes a resource shape lists."""
    attributes = []
    for prop in shape.iter(f"{{{OSLC}}}Property"):
        definition = _child_resource(prop, OSLC, "propertyDefinition")
        if not definition:
            continue
        name = _child_text(prop, OSLC, "name") or definition.rsplit("#", 1)[-1]
        value_type = _child_resource(prop, OSLC, "valueType")
        attributes.append(
            Attribute(
                definition=definition,
                name=name,
                title=_child_text(prop, DCTERMS, "title") or name,
                takes_resources=value_type in RESOURCE_TYPES,
                allowed=tuple(_allowed(prop)),
                allowed_link=_child_resource(prop, OSLC, "allowedValues"),
            )
        )
    return attributes


def parse_allowed_values(document: ET.Element) -> list[str]:
    """Return the values an `oslc:AllowedValues` document lists."""
    return _allowed(document)


def find_attribute(target: str, attributes: list[Attribute]) -> Attribute | None:
    """Return the attribute a prefixed name, a name or a title points at."""
    prefix, _, local = target.partition(":")
    if local and prefix in PREFIXES:
        definition = PREFIXES[prefix] + local
        return next((a for a in attributes if a.definition == definition), None)
    wanted = target.casefold()
    for attribute in attributes:
        if wanted in (attribute.name.casefold(), attribute.title.casefold()):
            return attribute
    return None


def json_name(definition: str) -> str | None:
    """Return an attribute's name in EWM's OSLC JSON: `prefix:local`."""
    for prefix, namespace in PREFIXES.items():
        if definition.startswith(namespace) and len(definition) > len(namespace):
            return f"{prefix}:{definition[len(namespace) :]}"
    return None


def fit_value(
    field: str, value: str, attribute: Attribute, choices: list[Choice]
) -> tuple[str, Any] | FieldProblem:
    """Return (JSON name, JSON value) for a mail value, or the problem."""
    key = json_name(attribute.definition)
    if key is None:
        return _problem(field, value, f"{attribute.title} has no OSLC JSON name")
    if not choices:
        if attribute.takes_resources:
            reason = f"{attribute.title} takes a link, and lists no values to pick"
            return _problem(field, value, reason)
        return key, value

    wanted = value.strip().casefold()
    for choice in choices:
        if choice.title.casefold() == wanted:
            return key, {
                "rdf:resource": choice.value
            } if choice.resource else choice.value
    titles = [choice.title for choice in choices]
    more = ", ..." if len(titles) > SHOWN_VALUES else ""
    shown = ", ".join(titles[:SHOWN_VALUES]) + more
    return _problem(
        field, value, f"not an allowed value of {attribute.title} ({shown})"
    )


@dataclass
class FittedFields:
    """JSON attributes to send, fields carried as text, and the problems."""

    values: dict[str, Any] = field(default_factory=dict)
    carried: dict[str, str] = field(default_factory=dict)
    problems: list[FieldProblem] = field(default_factory=list)


class ShapeCatalog:
    """The change request shape of a project area, read and cached."""

    def __init__(
        self, session: EwmSession, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._session = session
        self._clock = clock
        self._attributes: list[Attribute] | None = None
        self._choices: dict[str, list[Choice]] = {}
        self._read_at = 0.0

    def fit(
        self, values: dict[str, str], field_map: dict[str, str], shape_url: str | None
    ) -> FittedFields:
        """Fit each value to its attribute; carry those with none as text."""
        fitted = FittedFields()
        attributes = self._shape(shape_url) if values else []
        for name, value in values.items():
            target = field_map.get(name)
            attribute = find_attribute(target or name, attributes)
            if attribute is None and target is None:
                fitted.carried[name] = value
                continue
            if attribute is None:
                reason = f"no attribute {target}; correct the tracker's field_map"
                fitted.problems.append(_problem(name, value, reason))
                continue

            outcome = fit_value(name, value, attribute, self._options(attribute))
            if isinstance(outcome, FieldProblem):
                fitted.problems.append(outcome)
            else:
                fitted.values[outcome[0]] = outcome[1]
        return fitted

    def _shape(self, shape_url: str | None) -> list[Attribute]:
        stale = self._clock() - self._read_at > SHAPE_TTL_SECONDS
        if self._attributes is None or stale:
            self._attributes, self._choices = [], {}
            if shape_url:
                self._attributes = parse_shape(self._rdf(shape_url, "the shape"))
            self._read_at = self._clock()
        return self._attributes

    def _options(self, attribute: Attribute) -> list[Choice]:
        """Return an attribute's allowed values with their titles, cached."""
        if attribute.definition not in self._choices:
            values = list(attribute.allowed)
            if not values and attribute.allowed_link:
                document = self._rdf(attribute.allowed_link, "allowed values")
                values = parse_allowed_values(document)
            self._choices[attribute.definition] = [self._choice(v) for v in values]
        return self._choices[attribute.definition]

    def _choice(self, value: str) -> Choice:
        """Return an allowed value with the title a person sees for it."""
        if not value.startswith(("http://", "https://")):
            return Choice(title=value, value=value, resource=False)
        answer = self._session.send_json("GET", value, "reading an allowed value")
        title = answer.get("dcterms:title") if isinstance(answer, dict) else None
        return Choice(title=str(title or value), value=value, resource=True)

    def _rdf(self, url: str, what: str) -> ET.Element:
        reading = f"reading {what} of a change request"
        response = self._session.send("GET", url, reading, accept=RDF_XML)
        return parse_rdf(response.content, self._session.name, reading)


def _allowed(element: ET.Element) -> list[str]:
    """Return the allowed values under an element: resources or literals."""
    values = []
    for child in element.iter(f"{{{OSLC}}}allowedValue"):
        value = child.get(_RESOURCE) or (child.text or "").strip()
        if value:
            values.append(value)
    return values


def _child_resource(element: ET.Element, namespace: str, tag: str) -> str | None:
    found = element.find(f"{{{namespace}}}{tag}")
    return found.get(_RESOURCE) if found is not None else None


def _child_text(element: ET.Element, namespace: str, tag: str) -> str:
    found = element.find(f"{{{namespace}}}{tag}")
    return " ".join("".join(found.itertext()).split()) if found is not None else ""


def _problem(field: str, value: str, reason: str) -> FieldProblem:
    return FieldProblem(field=field, value=value, reason=f"EWM: {reason}")
