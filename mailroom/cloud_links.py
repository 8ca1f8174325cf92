"""Files a mail shares as links to cloud storage instead of carrying them.

Outlook attaches a OneDrive or SharePoint file as a link: the mail holds no
bytes, only an anchor to the file in its HTML body. The same goes for
Dropbox, Google Drive and Box. Each such link is recorded once, with a name
a person recognizes, and marked when it sits in the quoted history of a
reply, so that a comment does not list it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlsplit

import lxml.html
from lxml.etree import LxmlError

from mailroom.html_tree import parse_html
from mailroom.models import CloudLink, CloudProvider
from mailroom.reply_text import strip_quoted


@dataclass(frozen=True)
class _Service:
    """A storage service: its domains and the paths that lead to files."""

    provider: CloudProvider
    domains: tuple[str, ...]
    # Lower-case path prefixes of shared files; empty: any path but "/".
    paths: tuple[str, ...] = ()


_SHAREPOINT = ("sharepoint.com", "sharepoint.us", "sharepoint-mil.us")
_SHAREPOINT_SOVEREIGN = ("sharepoint.de", "sharepoint.cn")
_SERVICES = (
    _Service("SharePoint", _SHAREPOINT + _SHAREPOINT_SOVEREIGN),
    _Service("OneDrive", ("1drv.ms", "onedrive.live.com")),
    _Service(
        "Dropbox",
        ("dropbox.com",),
        ("/s/", "/scl/", "/sh/", "/l/", "/home/", "/preview/"),
    ),
    _Service("Dropbox", ("dropboxusercontent.com",)),
    _Service(
        "Google Drive",
        ("drive.google.com", "docs.google.com"),
        (
            "/file/",
            "/drive/",
            "/open",
            "/uc",
            "/document/",
            "/spreadsheets/",
            "/presentation/",
            "/forms/",
            "/drawings/",
        ),
    ),
    _Service("Box", ("box.com",), ("/s/", "/v/", "/file/", "/folder/")),
)
# Defender for Office 365 rewrites links in delivered mail to pass through
# these hosts; the original link is in the `url` parameter.
_SAFE_LINKS = ("safelinks.protection.outlook.com", "safelinks.protection.office365.us")

_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}\.?(?::[0-9]{1,5})?")
_REMOVED_FROM_URLS = re.compile(r"[\t\n\r]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A name with an extension that has a letter: `Q3 forecast.xlsx`, not `v1.2`.
_FILE_NAME = re.compile(r"[^/\\]*[^/\\\s.][.](?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,10}")
_TEXT_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'"
_SITE_ROOT = re.compile(r"/(?:sites|teams)/[^/]+/?")
_VIEWER_VERBS = {"view", "edit", "preview", "open", "uc"}
_NAME_LIMIT = 200

# Where quoted history starts: elements after these are history.
_HISTORY_IDS = {
    "divrplyfwdmsg",
    "appendonsend",
    "mail-editor-reference-message-container",
}
_HISTORY_CLASSES = {"outlookmessageheader", "moz-cite-prefix"}
# Containers that hold quoted history inside them.
_QUOTE_CLASSES = {"gmail_quote", "yahoo_quoted"}


@dataclass
class _Found:
    """One link while the body is read: its place and the names seen."""

    url: str
    provider: CloudProvider
    quoted: bool
    label: str | None


def find_cloud_links(html: str | None, text: str) -> list[CloudLink]:
    """Return the links to cloud files in a mail body, each URL once.

    The HTML body is read when there is one; the plain text otherwise, or
    when the HTML cannot be parsed.
    """
    found = _html_links(html) if html else None
    if found is None:
        found = _text_links(text)
    return [_link(item) for item in _merge(found)]


def cloud_url(href: str) -> tuple[str, CloudProvider] | None:
    """Return a link's URL and provider if it leads to a cloud file.

    Only http(s) URLs whose host is a provider's domain or one of its
    subdomains count; a host with user info, a backslash or anything but
    letters, digits, dots and hyphens is refused, whatever follows.
    """
    url = _clean(href)
    host = _host(url)
    if host is None:
        return None
    if _within(host, _SAFE_LINKS):
        inner = parse_qs(urlsplit(url).query).get("url", [""])[0]
        return None if _within(_host(inner) or "", _SAFE_LINKS) else cloud_url(inner)

    for service in _SERVICES:
        if _within(host, service.domains) and _leads_to_file(service, url):
            return quote(url, safe="%/:=&?~#+!$,;'@()*[]"), _provider(service, host)
    return None


def _provider(service: _Service, host: str) -> CloudProvider:
    """Name the provider: a SharePoint `-my` host is OneDrive for work."""
    if service.provider == "SharePoint" and host.split(".", 1)[0].endswith("-my"):
        return "OneDrive"
    return service.provider


def _clean(href: str) -> str:
    """Return a URL as a browser reads it: no tabs or line breaks, trimmed."""
    return _REMOVED_FROM_URLS.sub("", href).strip(" \x00\x0b\x0c")


def _host(url: str) -> str | None:
    """Return the lower-case host of an http(s) URL, or None if suspect."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    if not _HOST.fullmatch(parts.netloc):
        return None
    host = parts.netloc.split(":", 1)[0].rstrip(".").lower()
    return host if "." in host and all(host.split(".")) else None


def _within(host: str, domains: tuple[str, ...]) -> bool:
    """Tell whether `host` is one of `domains` or a subdomain of one."""
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def _leads_to_file(service: _Service, url: str) -> bool:
    """Tell whether a URL of a provider's host points at a file or folder."""
    parts = urlsplit(url)
    path = parts.path.lower()
    if service.paths:
        return path.startswith(service.paths)
    if service.provider == "SharePoint":
        return not _is_site_page(path, parts.query)
    return path not in ("", "/") or bool(parts.query)


def _is_site_page(path: str, query: str) -> bool:
    """Tell whether a SharePoint path is a site or page, not a document.

    Documents open through `/_layouts/` viewers or a library view with an
    `id`; any other `.aspx` is a page, and `/sites/<name>` a whole site.
    """
    if path in ("", "/") or _SITE_ROOT.fullmatch(path):
        return True
    if "/_layouts/" in path or "id" in parse_qs(query):
        return False
    return path.endswith(".aspx")


def _html_links(html: str) -> list[_Found] | None:
    """Return the cloud links of an HTML body in order; None if unreadable."""
    try:
        root = parse_html(_CONTROL.sub(" ", html)).root
    except (LxmlError, ValueError):
        return None
    if root is None:
        return None

    found: list[_Found] = []
    history = False
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        history = history or _starts_history(element)
        target = cloud_url(element.get("href") or "") if element.tag == "a" else None
        if target is not None:
            quoted = history or _inside_quote(element)
            label = _label(element.text_content(), target[0])
            found.append(_Found(*target, quoted=quoted, label=label))
    return found


def _starts_history(element: lxml.html.HtmlElement) -> bool:
    """Tell whether an element marks where the quoted history begins."""
    ident = (element.get("id") or "").lower()
    while ident.startswith("x_"):
        ident = ident[2:]
    if ident in _HISTORY_IDS:
        return True
    if _HISTORY_CLASSES & _classes(element):
        return True
    # Outlook for Windows heads the quoted mail with a ruled block.
    style = re.sub(r"\s+", "", (element.get("style") or "").lower())
    return "border:none" in style and "border-top:solid" in style


def _inside_quote(element: lxml.html.HtmlElement) -> bool:
    """Tell whether an element sits in a blockquote or a client's quote box."""
    for ancestor in element.iterancestors():
        if ancestor.tag == "blockquote" or _QUOTE_CLASSES & _classes(ancestor):
            return True
    return False


def _classes(element: lxml.html.HtmlElement) -> set[str]:
    """Return an element's class names, lower-case."""
    return set((element.get("class") or "").lower().split())


def _text_links(text: str) -> list[_Found]:
    """Return the cloud links written out in a plain-text body, in order."""
    new_part = strip_quoted(text)
    fresh = {target[0] for target in _text_targets(new_part)}
    return [
        _Found(url, provider, quoted=url not in fresh, label=None)
        for url, provider in _text_targets(text)
    ]


def _text_targets(text: str) -> list[tuple[str, CloudProvider]]:
    """Return the URL and provider of each cloud link in a text."""
    targets = (cloud_url(m.group().rstrip(_TRAILING)) for m in _TEXT_URL.finditer(text))
    return [target for target in targets if target is not None]


def _label(text: str, url: str) -> str | None:
    """Return an anchor's text if it reads as a file name, else None.

    A host written out as the text (`contoso.sharepoint.com`) is no name.
    """
    label = " ".join(_CONTROL.sub(" ", text).split())
    if len(label) > _NAME_LIMIT or not _FILE_NAME.fullmatch(label):
        return None
    return None if label.lower() in (_host(url) or "") else label


def _merge(found: list[_Found]) -> list[_Found]:
    """Keep each URL once: named if any anchor named it, new if any was."""
    merged: dict[str, _Found] = {}
    for item in found:
        key = _dedupe_key(item.url)
        first = merged.setdefault(key, item)
        first.quoted = first.quoted and item.quoted
        first.label = first.label or item.label
    return list(merged.values())


def _dedupe_key(url: str) -> str:
    """Return what two spellings of one link share: no fragment, host in lower."""
    parts = urlsplit(url)
    return f"{parts.netloc.lower()}{parts.path}?{parts.query}"


def _link(item: _Found) -> CloudLink:
    """Return the recorded link, named by its anchor, its path or its host."""
    name = item.label or _path_name(item.url) or _host(item.url) or item.url
    return CloudLink(
        name=name, url=item.url, provider=item.provider, quoted=item.quoted
    )


def _path_name(url: str) -> str | None:
    """Return a file name from a URL: a `file` parameter or the last segment."""
    parts = urlsplit(url)
    named = parse_qs(parts.query).get("file", [""])[0]
    segment = named or unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    segment = " ".join(_CONTROL.sub(" ", segment).split())[:_NAME_LIMIT]
    if not segment or segment.lower() in _VIEWER_VERBS or segment.startswith(":"):
        return None
    return segment
