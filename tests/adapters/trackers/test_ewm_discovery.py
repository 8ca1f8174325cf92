"""Discovery walks root services, catalog and provider to the CM services."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from adapters.trackers.ewm_discovery import (
    catalog_url,
    change_request_services,
    provider_url,
)
from tests.adapters.trackers.fake_ewm import (
    AREA,
    BASE,
    CATALOG,
    FACTORY,
    PROVIDER,
    PROVIDER_URL,
    ROOT,
    SHAPE,
    FakeEwm,
    connect,
)


def test_the_root_services_name_the_cm_catalog() -> None:
    """`oslc_cm:cmServiceProviders` gives the catalog address."""
    assert catalog_url(ET.fromstring(ROOT)) == f"{BASE}/oslc/workitems/catalog"


def test_the_catalog_finds_a_project_area_by_its_title() -> None:
    """Titles compare without case and with markup and spacing flattened."""
    assert provider_url(ET.fromstring(CATALOG), "help  DESK") == PROVIDER_URL
    assert provider_url(ET.fromstring(CATALOG), "Marketing") is None


def test_the_default_change_request_factory_is_chosen() -> None:
    """Of two factories, the one with usage default wins."""
    services = change_request_services(ET.fromstring(PROVIDER), PROVIDER_URL)
    assert services is not None and services.creation_url == FACTORY
    assert services.shape_url == SHAPE and services.query_base == FACTORY


def test_the_project_area_id_comes_from_the_provider_address() -> None:
    """The id after /contexts/ is what the attachment service wants."""
    services = change_request_services(ET.fromstring(PROVIDER), PROVIDER_URL)
    assert services is not None and services.project_area_id == AREA


def test_discovery_runs_once_per_tracker() -> None:
    """Root services are read once for many calls."""
    fake = FakeEwm()
    tracker = connect(fake)
    for n in range(3):
        tracker.find_by_correlation(f"m-{n}")
    reads = [r for r in fake.requests if r.url.path.endswith("/rootservices")]
    assert len(reads) == 1
