"""The local tracker's web pages: a ticket list and one page per ticket.

Everything shown comes from mail, so everything is escaped: templates
autoescape, and the only markup made from mail text (links in bodies) is
cleaned with nh3 before it reaches the page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import unquote, urlsplit

import nh3
from jinja2 import DictLoader
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from adapters.trackers.local import LocalTracker
from adapters.trackers.local_views import TicketView
from mailroom.errors import BlobNotFoundError

HTML = "text/html; charset=utf-8"
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+")
_URL_TAIL = ".,;:!?)]}"

LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; img-src 'self' http: https:;
 style-src 'unsafe-inline'">
<title>{% block title %}{% endblock %} · Mailroom tracker</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; color: #1d232a; background: #f6f7f9;
       margin: 0; }
header, main { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
header { padding-top: 1rem; }
header a { color: #3a4653; text-decoration: none; font-weight: 600; }
h1 { font-size: 1.4rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
a { color: #0b57b4; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #e1e4e8;
         vertical-align: top; }
th { font-weight: 600; color: #3a4653; }
.status { display: inline-block; padding: 0 .5rem; border-radius: 1rem;
          background: #e4ecf7; font-size: .85rem; }
.entry { background: #fff; border: 1px solid #e1e4e8; border-left-width: 4px;
         border-radius: 4px; margin: .75rem 0; padding: .5rem .75rem; }
.entry.incoming { border-left-color: #0b57b4; }
.entry.outgoing { border-left-color: #1a7f37; }
.entry.internal-note { border-left-color: #9a6700; background: #fffbea; }
.meta { color: #57606a; font-size: .85rem; }
.body { white-space: pre-wrap; overflow-wrap: anywhere; margin: .5rem 0 0; }
.problem { color: #a40e26; }
img.inline { max-width: 100%; height: auto; border: 1px solid #e1e4e8; }
</style>
</head>
<body>
<header><a href="{{ home }}">Mailroom tracker</a></header>
<main>
{% block main %}{% endblock %}
</main>
</body>
</html>
"""

TICKET_LIST = """{% extends "layout" %}
{% block title %}Tickets{% endblock %}
{% block main %}
<h1>Tickets</h1>
{% if tickets %}
<table>
<caption class="meta">{{ tickets | length }} ticket(s), newest first</caption>
<thead><tr><th scope="col">Key</th><th scope="col">Summary</th>
<th scope="col">Requester</th><th scope="col">Status</th>
<th scope="col">Opened</th></tr></thead>
<tbody>
{% for t in tickets %}
<tr><td><a href="{{ t.url }}">{{ t.key }}</a></td><td>{{ t.summary }}</td>
<td>{{ t.requester.email if t.requester else "" }}</td>
<td><span class="status">{{ t.status }}</span></td>
<td><time datetime="{{ t.created_at.isoformat() }}">
{{ t.created_at.strftime("%Y-%m-%d %H:%M") }}</time></td></tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p>No tickets yet. Deliver a mail to a watched mailbox to open one.</p>
{% endif %}
{% endblock %}
"""

TICKET = """{% extends "layout" %}
{% macro who(address) %}{% if address %}{{ address.name or address.email }}
{% if address.name %} &lt;{{ address.email }}&gt;{% endif %}
{% else %}unknown{% endif %}{% endmacro %}
{% block title %}{{ t.key }}{% endblock %}
{% block main %}
<h1>{{ t.key }}: {{ t.summary }}</h1>
<p><span class="status">{{ t.status }}</span>
<span class="meta">opened {{ t.created_at.strftime("%Y-%m-%d %H:%M UTC") }}
by {{ who(t.requester) }}</span></p>

{% if t.fields or t.problems %}
<h2>Fields</h2>
<table>
{% for name, value in t.fields | dictsort %}
<tr><th scope="row">{{ name }}</th><td>{{ value }}</td></tr>
{% endfor %}
{% for p in t.problems %}
<tr class="problem"><th scope="row">{{ p.field }}</th>
<td>{{ p.value }}: {{ p.reason }}</td></tr>
{% endfor %}
</table>
{% endif %}

<h2>Thread</h2>
<article class="entry incoming" aria-label="Original mail">
<div class="meta">incoming · {{ who(t.requester) }}</div>
<div class="body">{{ t.description | body }}</div>
</article>
{% for c in t.comments %}
<article class="entry {{ c.direction | replace(' ', '-') }}"
 aria-label="{{ c.direction }}">
<div class="meta">{{ c.direction }} · {{ who(c.author) }} ·
<time datetime="{{ c.created_at.isoformat() }}">
{{ c.created_at.strftime("%Y-%m-%d %H:%M") }}</time></div>
<div class="body">{{ c.body | body }}</div>
{% if c.full_text %}<details><summary>Full original mail</summary>
<div class="body">{{ c.full_text | body }}</div></details>{% endif %}
</article>
{% endfor %}

{% if t.attachments %}
<h2>Attachments</h2>
<ul>
{% for a in t.attachments %}
<li><a href="{{ a.url }}" download>{{ a.filename }}</a>
<span class="meta">{{ a.content_type }}, {{ a.size }} bytes</span>
{% if a.shown_inline %}<br><img class="inline" src="{{ a.url }}"
 alt="{{ a.filename }}">{% endif %}</li>
{% endfor %}
</ul>
{% endif %}

{% if t.links %}
<h2>Related tickets</h2>
<ul>
{% for l in t.links %}
<li>{{ l.relation }}{% if l.inward %} (from){% endif %}:
<a href="{{ l.url }}">{{ l.other_key }}</a></li>
{% endfor %}
</ul>
{% endif %}

{% if t.events %}
<h2>Events</h2>
<table>
<thead><tr><th scope="col">When</th><th scope="col">Event</th>
<th scope="col">Detail</th></tr></thead>
<tbody>
{% for e in t.events %}
<tr><td>{{ e.at.strftime("%Y-%m-%d %H:%M:%S") }}</td><td>{{ e.kind }}</td>
<td>{% for k, v in e.detail | dictsort %}{{ k }}={{ v }} {% endfor %}</td></tr>
{% endfor %}
</tbody>
</table>
{% endif %}
{% endblock %}
"""

NOT_FOUND = """{% extends "layout" %}
{% block title %}Not found{% endblock %}
{% block main %}
<h1>Not found</h1>
<p>There is nothing at this address. <a href="{{ home }}">See all tickets</a>.</p>
{% endblock %}
"""


def body_html(text: str) -> Markup:
    """Render mail text as HTML: escaped, with its web links made clickable."""
    parts: list[str] = []
    position = 0
    for match in _URL_IN_TEXT.finditer(text):
        url = match.group(0).rstrip(_URL_TAIL)
        parts.append(escape(text[position : match.start()]))
        parts.append(Markup('<a href="{0}">{0}</a>').format(url))
        position = match.start() + len(url)
    parts.append(escape(text[position:]))

    cleaned = nh3.clean(
        "".join(parts),
        tags={"a"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(cleaned)


_environment = ImmutableSandboxedEnvironment(
    loader=DictLoader(
        {
            "layout": LAYOUT,
            "list": TICKET_LIST,
            "ticket": TICKET,
            "not_found": NOT_FOUND,
        }
    ),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["body"] = body_html


def render_ticket_list(tickets: Sequence[TicketView], home: str = "/tracker") -> str:
    """Render the page listing every ticket."""
    return _environment.get_template("list").render(tickets=tickets, home=home)


def render_ticket(ticket: TicketView, home: str = "/tracker") -> str:
    """Render one ticket's page."""
    return _environment.get_template("ticket").render(t=ticket, home=home)


def render_not_found(home: str = "/tracker") -> str:
    """Render the page for an address that leads nowhere."""
    return _environment.get_template("not_found").render(home=home)


def handle_tracker_request(tracker: LocalTracker, path: str) -> tuple[int, str, bytes]:
    """Answer a GET under /tracker with (status, content type, body)."""
    parts = urlsplit(path).path.rstrip("/").split("/")
    if parts[:2] != ["", "tracker"]:
        return _not_found()

    match [unquote(part) for part in parts[2:]]:
        case []:
            page = render_ticket_list(tracker.list_tickets())
            return 200, HTML, page.encode("utf-8")
        case [key]:
            ticket = tracker.get_ticket(key)
            if ticket is None:
                return _not_found()
            return 200, HTML, render_ticket(ticket).encode("utf-8")
        case [key, "files", name]:
            return _file(tracker, key, name)
    return _not_found()


def _file(tracker: LocalTracker, key: str, name: str) -> tuple[int, str, bytes]:
    ticket = tracker.get_ticket(key)
    found = [a for a in ticket.attachments if a.filename == name] if ticket else []
    if not found:
        return _not_found()
    try:
        return 200, found[0].served_type, tracker.attachment_bytes(key, name)
    except BlobNotFoundError:
        return _not_found()


def _not_found() -> tuple[int, str, bytes]:
    return 404, HTML, render_not_found().encode("utf-8")
