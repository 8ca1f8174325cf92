"""mailroom.example.yaml validates, sets every key, and README documents each."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel

from mailroom.acknowledgement import check_templates, render_acknowledgement
from mailroom.config import Config, TrackerConfig
from mailroom.fields import check_field_map, extract_fields
from mailroom.mime import parse_mail
from mailroom.models import TicketRef
from mailroom.routing import check_routes, choose_route
from runtime.session import SAMPLES
from runtime.wiring import load_config

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "mailroom.example.yaml"
README = REPO / "README.md"
REFERENCE_HEADING = "## Configuration reference"
PLANNED = re.compile(r"# BEGIN planned trackers\n(.*?)# END planned trackers", re.S)


def schema_paths(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Yield the documented path of every key, such as `routes[].match.body`."""
    for name, field in model.model_fields.items():
        path = prefix + name
        yield path
        step, sections = nested_sections(field.annotation)
        for section in sections:
            yield from schema_paths(section, path + step + ".")


def nested_sections(annotation: Any) -> tuple[str, list[type[BaseModel]]]:
    """Return how a key's path goes into the sections it holds, and those."""
    args = get_args(annotation)
    if get_origin(annotation) is list:
        return "[]", sections_of(args[0])
    if get_origin(annotation) is dict:
        return ".<name>", sections_of(args[1])
    return "", sections_of(annotation)


def sections_of(annotation: Any) -> list[type[BaseModel]]:
    """Return the sections a type stands for: a model, or each of a union's."""
    if get_origin(annotation) is Annotated:
        return sections_of(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return [model for arg in get_args(annotation) for model in sections_of(arg)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def tracker_kinds() -> list[str]:
    """Return every `kind` a tracker section may have."""
    return [
        str(get_args(model.model_fields["kind"].annotation)[0])
        for model in sections_of(TrackerConfig)
    ]


def set_paths(value: Any, prefix: str = "") -> Iterator[str]:
    """Yield the path of every key that a loaded configuration sets."""
    if isinstance(value, list):
        for item in value:
            yield from set_paths(item, prefix.removesuffix(".") + "[].")
    elif isinstance(value, dict):
        for item in value.values():
            yield from set_paths(item, prefix.removesuffix(".") + ".<name>.")
    elif isinstance(value, BaseModel):
        for name in value.model_fields_set:
            yield prefix + name
            yield from set_paths(getattr(value, name), prefix + name + ".")


def planned_trackers() -> dict[str, Any]:
    """Return the example's commented-out tracker blocks, uncommented."""
    found = PLANNED.search(EXAMPLE.read_text(encoding="utf-8"))
    assert found, "mailroom.example.yaml lost its planned trackers block"
    lines = [re.sub(r"^(\s*)# ?", r"\1", line) for line in found[1].splitlines()]
    blocks: dict[str, Any] = yaml.safe_load(textwrap.dedent("\n".join(lines)))
    return blocks


def example_with_planned_trackers() -> Config:
    """Return the example with its planned tracker blocks switched on."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["trackers"] |= planned_trackers()
    return Config.model_validate(data)


def reference_section() -> str:
    """Return README.md's configuration reference, up to the next section."""
    text = README.read_text(encoding="utf-8")
    start = text.index(REFERENCE_HEADING)
    end = text.find("\n## ", start + len(REFERENCE_HEADING))
    return text[start : end if end != -1 else len(text)]


def test_example_loads_with_its_routes_and_secret_masked() -> None:
    """The example validates, fans out, and keeps its secret out of repr."""
    config = load_config(EXAMPLE)

    assert [route.name for route in config.routes] == [
        "urgent-network",
        "service-desk",
    ]
    assert config.routes[0].continue_matching is True
    assert config.trackers["network"].key_prefixes == ["NET"]
    assert config.fields.allowed_values["environment"][0] == "production"
    assert "replace-with" not in repr(config.mail)


def test_example_patterns_and_templates_compile() -> None:
    """Every pattern, template and field type in the example is valid."""
    config = load_config(EXAMPLE)

    assert check_routes(config.routes) == []
    assert check_templates(config.acknowledgement) == []
    assert check_field_map(config.fields) == []


def test_example_fans_sample_01_out_to_both_tools() -> None:
    """The urgent VPN sample opens a ticket in the network tool and the desk."""
    config = load_config(EXAMPLE)
    raw = (SAMPLES / "01-vpn-outage-high-priority.eml").read_bytes()

    route = choose_route(parse_mail(raw).mail, "helpdesk@example.org", config.routes)

    assert route.tools == ["network", "service_desk"]


def test_example_maps_sample_01_fields_and_x_priority() -> None:
    """Body labels, X-Priority and importance go through the example's maps."""
    config = load_config(EXAMPLE)
    raw = (SAMPLES / "01-vpn-outage-high-priority.eml").read_bytes()

    fields = extract_fields(parse_mail(raw).mail, config.fields)

    assert fields.values["location"] == "Hamburg"
    assert fields.values["priority"] == "1"
    assert fields.values["severity"] == "2 - High"
    assert fields.problems == []


def test_example_acknowledgement_lists_every_ticket_url() -> None:
    """The example's template names each ticket with its URL."""
    config = load_config(EXAMPLE)
    raw = (SAMPLES / "01-vpn-outage-high-priority.eml").read_bytes()
    tickets = [
        TicketRef(tool="network", key="NET-1", url="http://127.0.0.1:7071/t/NET-1"),
        TicketRef(tool="service_desk", key="HELP-1", url="http://h.example.org/1"),
    ]

    ack = render_acknowledgement(
        parse_mail(raw).mail,
        tickets,
        [],
        config.acknowledgement,
        "<a@b>",
        "X-M",
        "k",
        watched=[box.address for box in config.mailboxes],
    )

    assert re.search(r"NET-1 +http://127\.0\.0\.1:7071/t/NET-1\n", ack.text_body)
    assert re.search(r"HELP-1 +http://h\.example\.org/1\n", ack.text_body)


def test_example_planned_trackers_cover_every_other_kind() -> None:
    """The commented-out tool blocks validate, one for each planned kind."""
    config = example_with_planned_trackers()

    kinds = {section.kind for section in config.trackers.values()}

    assert kinds == set(tracker_kinds())
    assert "replace-with" not in repr(config.trackers)


def test_example_sets_every_key() -> None:
    """The example shows every key of the configuration, not just some."""
    config = example_with_planned_trackers()

    missing = set(schema_paths(Config)) - set(set_paths(config))

    assert not missing, f"mailroom.example.yaml does not set {sorted(missing)}"


def test_readme_reference_documents_every_key() -> None:
    """README.md's configuration reference names every key by its path."""
    section = reference_section()

    paths = dict.fromkeys(schema_paths(Config))
    missing = [path for path in paths if f"`{path}`" not in section]

    assert not missing, f"README.md's {REFERENCE_HEADING} lacks {missing}"


def test_readme_reference_has_a_table_per_tracker_kind() -> None:
    """Each kind of tool has its own part of the configuration reference."""
    section = reference_section()

    missing = [kind for kind in tracker_kinds() if f"`kind: {kind}`" not in section]

    assert not missing, f"README.md's {REFERENCE_HEADING} lacks kinds {missing}"
