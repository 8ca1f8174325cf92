"""Find where a project area's change requests are made and queried.

OSLC asks clients to discover URLs, not build them. From the Jazz root
services document (`<base>/rootservices`, RDF/XML, readable without
signing in) its `oslc_cm:cmServiceProviders` names the change management
service provider catalog; the catalog lists one service provider per
project area, by `dcterms:title`; the provider's change management service
(`oslc:domain` cm#) offers creation factories and query capabilities. The
factory chosen makes `oslc_cm:ChangeRequest` resources with `oslc:usage`
default (the project area's default work item type) when one says so; its
`oslc:resourceShape` lists the attributes and their allowed values.

Assumed where the public EWM documents are thin: the project area id that
the attachment service wants is the path segment after `/contexts/` in the
service provider's URL (`.../oslc/contexts/_id/workitems/services.xml`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from adapters.trackers.ewm_http import RDF_XML, EwmSession
from mailroom.errors import PermanentError

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
OSLC = "http://open-services.net/ns/core#"
DCTERMS = "http://purl.org/dc/terms/"
JAZZ_CM = "http://open-services.net/xmlns/cm/1.0/"
CM_DOMAIN = "http://open-services.net/ns/cm#"
CHANGE_REQUEST = "http://open-services.net/ns/cm#ChangeRequest"
DEFAULT_USAGE = "http://open-services.net/ns/core#default"

_ABOUT = f"{{{RDF}}}about"
_RESOURCE = f"{{{RDF}}}resource"
_CONTEXT = re.compile(r"/contexts/([^/]+)/")


@dataclass(frozen=True)
class ChangeRequestServices:
    """The URLs of one project area's change request services."""

    creation_url: str
    query_base: str
    shape_url: str | None
    project_area_id: str | None


def discover(session: EwmSession, project_area: str) -> ChangeRequestServices:
    """Walk from the root services to the project area's CM services."""
    name = session.name
    root = _read(session, f"{session.base}/rootservices", "reading the root services")
    catalog = catalog_url(root)
    if catalog is None:
        raise PermanentError(
            f"the EWM root services name no change management catalog for tracker "
            f"{name!r}; check that trackers.{name}.base_url is the CCM application"
        )
    provider = provider_url(
        _read(session, catalog, "reading the catalog"), project_area
    )
    if provider is None:
        raise PermanentError(
            f"EWM lists no project area titled as trackers.{name}.project_area; "
            "check its spelling and that the user is a member of it"
        )
    document = _read(session, provider, "reading the project area's services")
    services = change_request_services(document, provider)
    if services is None:
        raise PermanentError(
            f"the project area of tracker {name!r} offers no change request factory "
            f"and query; check trackers.{name}.project_area"
        )
    return services


def parse_rdf(data: bytes, name: str, what: str) -> ET.Element:
    """Parse an RDF/XML document, or fail naming the setting to check."""
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise PermanentError(
            f"EWM answered with no RDF/XML while {what} for tracker {name!r}; "
            f"check that trackers.{name}.base_url names the CCM application"
        ) from exc


def catalog_url(rootservices: ET.Element) -> str | None:
    """Return the change management catalog named by the root services."""
    for element in rootservices.iter(f"{{{JAZZ_CM}}}cmServiceProviders"):
        if element.get(_RESOURCE):
            return element.get(_RESOURCE)
    return None


def provider_url(catalog: ET.Element, project_area: str) -> str | None:
    """Return the service provider of the project area titled `project_area`."""
    wanted = " ".join(project_area.split()).casefold()
    for provider in catalog.iter(f"{{{OSLC}}}ServiceProvider"):
        title = provider.find(f"{{{DCTERMS}}}title")
        text = " ".join("".join(title.itertext()).split()) if title is not None else ""
        if text.casefold() == wanted and provider.get(_ABOUT):
            return provider.get(_ABOUT)
    return None


def change_request_services(
    provider: ET.Element, provider_address: str
) -> ChangeRequestServices | None:
    """Return the creation factory and query base of the CM service, if any."""
    for service in provider.iter(f"{{{OSLC}}}Service"):
        if _resource(service, "domain") != CM_DOMAIN:
            continue
        factory = _pick(list(service.iter(f"{{{OSLC}}}CreationFactory")))
        query = _pick(list(service.iter(f"{{{OSLC}}}QueryCapability")))
        creation = _resource(factory, "creation") if factory is not None else None
        base = _resource(query, "queryBase") if query is not None else None
        if creation and base and factory is not None:
            found = _CONTEXT.search(provider_address)
            return ChangeRequestServices(
                creation_url=creation,
                query_base=base,
                shape_url=_resource(factory, "resourceShape"),
                project_area_id=found.group(1) if found else None,
            )
    return None


def _read(session: EwmSession, url: str, what: str) -> ET.Element:
    """GET an RDF/XML document and parse it."""
    response = session.send("GET", url, what, accept=RDF_XML)
    return parse_rdf(response.content, session.name, what)


def _pick(capabilities: list[ET.Element]) -> ET.Element | None:
    """Prefer the change request capability marked default, then any."""
    for_change_requests = [
        capability
        for capability in capabilities
        if CHANGE_REQUEST in _resources(capability, "resourceType")
    ] or capabilities
    for capability in for_change_requests:
        if DEFAULT_USAGE in _resources(capability, "usage"):
            return capability
    return for_change_requests[0] if for_change_requests else None


def _resource(element: ET.Element, tag: str) -> str | None:
    """Return the rdf:resource of an element's first OSLC child `tag`."""
    found = element.find(f"{{{OSLC}}}{tag}")
    return found.get(_RESOURCE) if found is not None else None


def _resources(element: ET.Element, tag: str) -> list[str]:
    """Return the rdf:resource of each OSLC child `tag`."""
    children = element.findall(f"{{{OSLC}}}{tag}")
    return [child.get(_RESOURCE) or "" for child in children]
