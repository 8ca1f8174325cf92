"""mailroom.example.yaml validates, sets every key, and README documents each."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from mailroom.acknowledgement import check_templates, render_acknowledgement
from mailroom.config import Config
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


def schema_paths(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Yield the documented path of every key, such as `routes[].match.body`."""
    for name, field in model.model_fields.items():
        path = prefix + name
        yield path
        nested, step = nested_model(field.annotation)
        if nested is not None:
            yield from schema_paths(nested, path + step + ".")


def nested_model(annotation: Any) -> tuple[type[BaseModel] | None, str]:
    """Return the section a key holds and how its path goes into it."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    args = get_args(annotation)
    if get_origin(annotation) is list and nested_model(args[0])[0]:
        return args[0], "[]"
    if get_origin(annotation) is dict and nested_model(args[1])[0]:
        return args[1], ".<name>"
    return None, ""


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
    assert config.trackers["network"].project == "NET"
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
        parse_mail(raw).mail, tickets, [], config.acknowledgement, "<a@b>", "X-M", "k"
    )

    assert re.search(r"NET-1 +http://127\.0\.0\.1:7071/t/NET-1\n", ack.text_body)
    assert re.search(r"HELP-1 +http://h\.example\.org/1\n", ack.text_body)


def test_example_sets_every_key() -> None:
    """The example shows every key of the configuration, not just some."""
    config = load_config(EXAMPLE)

    missing = set(schema_paths(Config)) - set(set_paths(config))

    assert not missing, f"mailroom.example.yaml does not set {sorted(missing)}"


def test_readme_reference_documents_every_key() -> None:
    """README.md's configuration reference names every key by its path."""
    section = reference_section()

    missing = [path for path in schema_paths(Config) if f"`{path}`" not in section]

    assert not missing, f"README.md's {REFERENCE_HEADING} lacks {missing}"
