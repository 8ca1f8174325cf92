"""A fake IBM EWM (RTC) server behind `httpx.MockTransport`.

Root services, the change management catalog, a project area's service
provider, its resource shape and allowed values are RDF/XML in the shapes
of the Jazz and OSLC Core 2.0 samples; work items, comments, enumeration
literals and attachments are EWM's OSLC JSON. It signs clients in by basic
or by form authentication (`authrequired`, then `j_security_check` and a
session cookie), checks `OSLC-Core-Version`, the CSRF header of cookie
sessions, allowed values, and `If-Match` on partial updates. It can answer
503 for a number of requests, or lose the answer to a create after making
the work item. As a contract Probe it reads its state as a person would.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import httpx

from adapters.trackers.ewm import EwmTracker, build_tracker
from adapters.trackers.ewm_hooks import sign
from mailroom.config import EwmConfig

BASE = "https://jazz.example.com/ccm"
AREA = "_pA1xQ2"
USER, PASSWORD, SECRET = "mailroom", "s3cret-pw", "relay-secret"
SESSION = "sess-42"
ENUM = f"{BASE}/oslc/enumerations/{AREA}"
SHAPE = f"{BASE}/oslc/context/{AREA}/shapes/workitems/defect"
WORK_ITEM = f"{BASE}/resource/itemName/com.ibm.team.workitem.WorkItem/"
ATTACHMENT = f"{BASE}/resource/itemOid/com.ibm.team.workitem.Attachment/"
ATTACHMENTS = "rtc_cm:com.ibm.team.workitem.linktype.attachment.attachment"
RELATED = "oslc_cm:relatedChangeRequest"
SEVERITY = {
    f"{ENUM}/severity/s{n}": t for n, t in enumerate(["Minor", "Normal", "Major"])
}
PRIORITY = {f"{ENUM}/priority/p{n}": t for n, t in enumerate(["High", "Medium", "Low"])}
TITLES = SEVERITY | PRIORITY
FIELD_MAP = {"severity": "oslc_cmx:severity", "priority": "oslc_cmx:priority"}
ITEM_PATH = re.compile(
    r"/(?:resource/itemName/com\.ibm\.team\.workitem\.WorkItem|oslc/workitems)"
    r"/(\d+)(/rtc_cm:comments(?:/oslc:comment)?)?"
)
NS = (
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:oslc="http://open-services.net/ns/core#" '
    'xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:oslc_cm="http://open-services.net/xmlns/cm/1.0/"'
)
AUTH = "X-com-ibm-team-repository-web-auth-msg"
CSRF = "X-Jazz-CSRF-Prevent"


@dataclass
class Item:
    """A work item as the fake keeps it."""

    resource: dict[str, Any]
    revision: int = 1
    comments: list[dict[str, Any]] = field(default_factory=list)


class FakeEwm:
    """One CCM server with the project area `Help Desk`."""

    def __init__(self, auth: str = "form") -> None:
        self.auth = auth
        self.items: dict[int, Item] = {}
        self.uploads: dict[str, tuple[str, bytes]] = {}
        self.requests: list[httpx.Request] = []
        self.unavailable = 0
        self.lose_next_create = False
        self.answer_all: httpx.Response | None = None
        self.comments_need_factory = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as EWM would."""
        self.requests.append(request)
        if self.answer_all is not None:
            return self.answer_all
        if self.unavailable > 0:
            self.unavailable -= 1
            return httpx.Response(503, headers={"Retry-After": "3"})
        path = request.url.path.removeprefix("/ccm")
        if path == "/rootservices":
            return _rdf(ROOT)
        if path == "/j_security_check":
            return self._sign_in(request)
        refused = self._refuse(request)
        return refused or self._route(request, path)

    def _refuse(self, request: httpx.Request) -> httpx.Response | None:
        headers = request.headers
        if self.auth == "basic":
            token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            if headers.get("Authorization") != f"Basic {token}":
                return httpx.Response(401)
        elif f"JSESSIONID={SESSION}" not in headers.get("Cookie", ""):
            return httpx.Response(200, headers={AUTH: "authrequired"}, text="<html/>")
        elif request.method != "GET" and headers.get(CSRF) != SESSION:
            return httpx.Response(403)
        oslc = headers.get("OSLC-Core-Version") == "2.0"
        if oslc or request.url.path.startswith("/ccm/service/"):
            return None
        return httpx.Response(400, json={"message": "OSLC 2.0 expected"})

    def _sign_in(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        if form.get("j_username") != [USER] or form.get("j_password") != [PASSWORD]:
            return httpx.Response(200, headers={AUTH: "authfailed"})
        cookie = f"JSESSIONID={SESSION}; Path=/ccm; Secure; HttpOnly"
        return httpx.Response(302, headers={"Set-Cookie": cookie, "Location": BASE})

    def _route(self, request: httpx.Request, path: str) -> httpx.Response:
        url, method = f"{BASE}{path}", request.method
        documents = {f"{BASE}/oslc/workitems/catalog": CATALOG, PROVIDER_URL: PROVIDER}
        documents |= {SHAPE: SHAPE_RDF, f"{SHAPE}/priority": ALLOWED}
        if url in documents:
            return _rdf(documents[url])
        if url in TITLES:
            return httpx.Response(
                200, json={"rdf:about": url, "dcterms:title": TITLES[url]}
            )
        if url == FACTORY:
            return self._create(request) if method == "POST" else self._query(request)
        if path.startswith("/service/") and method == "POST":
            return self._upload(request)
        if url in self.uploads:
            return httpx.Response(200, json={"dcterms:title": self.uploads[url][0]})
        found = ITEM_PATH.fullmatch(path)
        item = self.items.get(int(found.group(1))) if found else None
        if found is None or item is None:
            return httpx.Response(404)
        if found.group(2):
            return self._comments(request, item, found.group(2).endswith("comment"))
        if method == "PUT":
            return self._update(request, item)
        return httpx.Response(
            200, json=item.resource, headers={"ETag": f'"{item.revision}"'}
        )

    def _create(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        for name, value in body.items():
            allowed = {
                "oslc_cmx:severity": SEVERITY,
                "oslc_cmx:priority": PRIORITY,
            }.get(name)
            if allowed is not None and value.get("rdf:resource") not in allowed:
                return httpx.Response(400, json={"message": f"bad {name}"})
        number = len(self.items) + 1
        address = f"{WORK_ITEM}{number}"
        comments = {"rdf:resource": f"{BASE}/oslc/workitems/{number}/rtc_cm:comments"}
        resource = body | {"rdf:about": address, "dcterms:identifier": str(number)}
        self.items[number] = Item(
            resource | {"rtc_cm:comments": comments, "oslc_cm:status": "New"}
        )
        if self.lose_next_create:
            self.lose_next_create = False
            raise httpx.ReadTimeout("answer lost", request=request)
        return httpx.Response(
            201, json=self.items[number].resource, headers={"Location": address}
        )

    def _query(self, request: httpx.Request) -> httpx.Response:
        found = re.fullmatch(
            r'dcterms:subject="([^"]*)"', request.url.params["oslc.where"]
        )
        tag = found.group(1) if found else None
        hits = [
            {
                "rdf:about": i.resource["rdf:about"],
                "dcterms:identifier": i.resource["dcterms:identifier"],
            }
            for i in self.items.values()
            if tag in [t.strip() for t in i.resource["dcterms:subject"].split(",")]
        ]
        return httpx.Response(200, json={"oslc:responseInfo": {}, "oslc:results": hits})

    def _update(self, request: httpx.Request, item: Item) -> httpx.Response:
        if request.headers.get("If-Match") != f'"{item.revision}"':
            return httpx.Response(412)
        name = request.url.params["oslc.properties"]
        targets = [link["rdf:resource"] for link in json.loads(request.content)[name]]
        known = {*self.uploads, *(i.resource["rdf:about"] for i in self.items.values())}
        if any(target not in known for target in targets):
            return httpx.Response(400, json={"message": "no such link target"})
        item.resource[name] = [{"rdf:resource": target} for target in targets]
        item.revision += 1
        return httpx.Response(
            200, json=item.resource, headers={"ETag": f'"{item.revision}"'}
        )

    def _comments(
        self, request: httpx.Request, item: Item, factory: bool
    ) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=item.comments)
        if self.comments_need_factory and not factory:
            return httpx.Response(405)
        text = json.loads(request.content)["dcterms:description"]
        self.add_tool_comment(item, text)
        return httpx.Response(201, json=item.comments[-1])

    def _upload(self, request: httpx.Request) -> httpx.Response:
        if request.url.params.get("projectId") != AREA:
            return httpx.Response(400)
        head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.default).parsebytes(
            head + request.content
        )
        part = next(
            p
            for p in message.iter_parts()
            if p.get_param("name", header="content-disposition") == "attach"
        )
        url = f"{ATTACHMENT}_a{len(self.uploads) + 1}"
        self.uploads[url] = (str(part.get_filename()), part.get_payload(decode=True))
        answer = json.dumps({"files": [{"url": url, "name": part.get_filename()}]})
        return httpx.Response(
            200, text=f"<html><body><textarea>{answer}</textarea></body></html>"
        )

    def add_tool_comment(self, item: Item, text: str) -> None:
        """Add a comment as a person in the web UI would."""
        creator = {
            "foaf:name": "Ben Okafor",
            "foaf:mbox": "mailto:ben.okafor@example.com",
        }
        item.comments.append({"dcterms:description": text, "dcterms:creator": creator})

    def summary(self, key: str) -> str:
        """Return a ticket's title."""
        return str(self._item(key).resource["dcterms:title"])

    def comments(self, key: str) -> list[tuple[str, bool]]:
        """Return (text, public) per comment; internal notes say so first."""
        texts = [_plain(c["dcterms:description"]) for c in self._item(key).comments]
        return [(text, not text.startswith("Internal note:")) for text in texts]

    def files(self, key: str) -> list[tuple[str, bytes]]:
        """Return (name, bytes) per attached file."""
        links = self._item(key).resource.get(ATTACHMENTS, [])
        return [self.uploads[link["rdf:resource"]] for link in links]

    def links(self, key: str) -> list[str]:
        """Return the keys of related work items."""
        links = self._item(key).resource.get(RELATED, [])
        return [f"EWM-{link['rdf:resource'].rsplit('/', 1)[1]}" for link in links]

    def field(self, key: str, name: str) -> str | None:
        """Return the title of the value a Mailroom field's attribute holds."""
        value = self._item(key).resource.get(FIELD_MAP.get(name, name))
        if isinstance(value, dict):
            return TITLES[value["rdf:resource"]]
        return None if value is None else str(value)

    def _item(self, key: str) -> Item:
        return self.items[int(key.removeprefix("EWM-"))]


def section(**changes: Any) -> EwmConfig:
    """Return the tracker section of the fake server, with `changes`."""
    values = {
        "kind": "ewm",
        "base_url": BASE,
        "project_area": "Help Desk",
        "username": USER,
        "password": PASSWORD,
        "notification_secret": SECRET,
        "field_map": FIELD_MAP,
    }
    return EwmConfig.model_validate(values | changes)


def connect(fake: FakeEwm, **changes: Any) -> EwmTracker:
    """Return the adapter, as tracker `ewm`, talking to `fake`."""
    client = httpx.Client(transport=httpx.MockTransport(fake.handle))
    return build_tracker("ewm", section(**changes), http=client)


def notification(event: str, item: int, **parts: Any) -> bytes:
    """Return a relay's notification body about work item `item`."""
    work_item = {"dcterms:identifier": str(item), "dcterms:title": "VPN down"}
    payload = {"id": f"chg-{event}-{item}", "event": event, "workItem": work_item}
    return json.dumps(payload | parts).encode()


def signed(body: bytes, at: datetime, secret: str = SECRET) -> dict[str, str]:
    """Return the headers a relay signs a notification with."""
    stamp = str(int(at.timestamp()))
    return {
        "X-Mailroom-Timestamp": stamp,
        "X-Mailroom-Signature": sign(secret, stamp, body),
    }


def _rdf(document: str) -> httpx.Response:
    return httpx.Response(
        200, text=document, headers={"Content-Type": "application/rdf+xml"}
    )


def _plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", text)).strip()


PROVIDER_URL = f"{BASE}/oslc/contexts/{AREA}/workitems/services.xml"
FACTORY = f"{BASE}/oslc/contexts/{AREA}/workitems"
ROOT = f"""<rdf:Description {NS} rdf:about="{BASE}/rootservices">
  <dcterms:title>Change and Configuration Management</dcterms:title>
  <oslc_cm:cmServiceProviders rdf:resource="{BASE}/oslc/workitems/catalog"/>
</rdf:Description>"""
CATALOG = f"""<rdf:RDF {NS}>
<oslc:ServiceProviderCatalog rdf:about="{BASE}/oslc/workitems/catalog">
  <oslc:domain rdf:resource="http://open-services.net/ns/cm#"/>
  <oslc:serviceProvider>
    <oslc:ServiceProvider rdf:about="{BASE}/oslc/contexts/_o/workitems/services.xml">
      <dcterms:title rdf:parseType="Literal">Payroll</dcterms:title>
    </oslc:ServiceProvider>
  </oslc:serviceProvider>
  <oslc:serviceProvider>
    <oslc:ServiceProvider rdf:about="{PROVIDER_URL}">
      <dcterms:title rdf:parseType="Literal">Help <b>Desk</b></dcterms:title>
    </oslc:ServiceProvider>
  </oslc:serviceProvider>
</oslc:ServiceProviderCatalog></rdf:RDF>"""
PROVIDER = f"""<rdf:RDF {NS}><oslc:ServiceProvider rdf:about="{PROVIDER_URL}">
  <oslc:service><oslc:Service><oslc:domain rdf:resource="http://open-services.net/ns/cm#"/>
    <oslc:creationFactory><oslc:CreationFactory>
      <dcterms:title>Location for creation of Task change requests</dcterms:title>
      <oslc:resourceType rdf:resource="http://open-services.net/ns/cm#ChangeRequest"/>
      <oslc:creation rdf:resource="{FACTORY}/task"/>
    </oslc:CreationFactory></oslc:creationFactory>
    <oslc:creationFactory><oslc:CreationFactory>
      <dcterms:title>Location for creation of change requests</dcterms:title>
      <oslc:usage rdf:resource="http://open-services.net/ns/core#default"/>
      <oslc:resourceType rdf:resource="http://open-services.net/ns/cm#ChangeRequest"/>
      <oslc:resourceShape rdf:resource="{SHAPE}"/>
      <oslc:creation rdf:resource="{FACTORY}"/>
    </oslc:CreationFactory></oslc:creationFactory>
    <oslc:queryCapability><oslc:QueryCapability>
      <oslc:resourceType rdf:resource="http://open-services.net/ns/cm#ChangeRequest"/>
      <oslc:queryBase rdf:resource="{FACTORY}"/>
    </oslc:QueryCapability></oslc:queryCapability>
  </oslc:Service></oslc:service>
</oslc:ServiceProvider></rdf:RDF>"""
SEVERITY_VALUES = "".join(f'<oslc:allowedValue rdf:resource="{u}"/>' for u in SEVERITY)
SHAPE_RDF = f"""<rdf:RDF {NS}><oslc:ResourceShape rdf:about="{SHAPE}">
  <oslc:property><oslc:Property><oslc:name>severity</oslc:name><dcterms:title>Severity</dcterms:title>
    <oslc:propertyDefinition rdf:resource="http://open-services.net/ns/cm-x#severity"/>
    <oslc:valueType rdf:resource="http://open-services.net/ns/core#Resource"/>{SEVERITY_VALUES}
  </oslc:Property></oslc:property>
  <oslc:property><oslc:Property><oslc:name>priority</oslc:name><dcterms:title>Priority</dcterms:title>
    <oslc:propertyDefinition rdf:resource="http://open-services.net/ns/cm-x#priority"/>
    <oslc:valueType rdf:resource="http://open-services.net/ns/core#Resource"/>
    <oslc:allowedValues rdf:resource="{SHAPE}/priority"/>
  </oslc:Property></oslc:property>
  <oslc:property><oslc:Property><oslc:name>customer</oslc:name><dcterms:title>Customer</dcterms:title>
    <oslc:propertyDefinition rdf:resource="http://jazz.net/xmlns/prod/jazz/rtc/ext/1.0/customer"/>
    <oslc:valueType rdf:resource="http://www.w3.org/2001/XMLSchema#string"/>
  </oslc:Property></oslc:property>
</oslc:ResourceShape></rdf:RDF>"""
ALLOWED = f"""<rdf:RDF {NS}><oslc:AllowedValues rdf:about="{SHAPE}/priority">
  {"".join(f'<oslc:allowedValue rdf:resource="{u}"/>' for u in PRIORITY)}
</oslc:AllowedValues></rdf:RDF>"""
