"""HTML to a tree that holds the whole document, however it nests.

libxml2, which lxml and inscriptis parse with, stops at 256 open elements
(or at a text run of 10 MB) and returns what it built so far without
raising: the rest of the mail is gone. It also drops, as silently, all
that follows `</html>`. It and html5ever, under nh3, slow down with the
square of the nesting depth or of one tag's attribute count.
`flatten_html` rewrites such HTML in one linear pass so that both take it
whole; `parse_html` uses it only for HTML libxml2 cannot take as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
from lxml.etree import ErrorLevels, ParserError

# Flattening keeps the layout of this many levels: enough for tables in
# tables, and few enough that the indentation of nested lists stays short.
MAX_NESTING = 40
MAX_ATTRIBUTES = 64

_VOID = {
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr",
    "img", "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
}  # fmt: skip
# Elements whose content is text up to their own end tag, never markup.
_RAW_TEXT = {
    "iframe", "noembed", "noframes", "script", "style", "textarea", "title", "xmp",
}  # fmt: skip
# Elements that a start tag of the same name closes when innermost.
_SIBLINGS = {"dd", "dt", "li", "option", "p", "td", "th", "tr"}
# Elements that start a line: one left out still keeps its text apart.
_BLOCKS = {
    "address", "article", "aside", "blockquote", "center", "dd", "div", "dl",
    "dt", "fieldset", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "li", "main", "nav", "ol", "p", "pre", "section", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip

_MARKUP = re.compile(r"<(?:(!--)|[!?]|(/?)([A-Za-z][^\s/>]*))")
_ATTRIBUTE = re.compile(
    r"""[^\s/>"'=][^\s/>=]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*))?"""
)
_BETWEEN_ATTRIBUTES = re.compile(r"[\s/]*")
_RAW_TEXT_END = {name: re.compile(rf"</{name}[\s/>]", re.I) for name in _RAW_TEXT}
_XML_DECLARATION = re.compile(r"^<\?xml [^>]+?\?>")
_HTML_END = re.compile(r"</html\s*>", re.I)


@dataclass(frozen=True)
class HtmlTree:
    """A parsed HTML document, and whether it was flattened to parse whole."""

    root: lxml.html.HtmlElement | None
    flattened: bool = False


@dataclass(frozen=True)
class FlatHtml:
    """HTML after `flatten_html`, and whether it lost tags or attributes."""

    html: str
    changed: bool


def parse_html(html: str) -> HtmlTree:
    """Parse HTML into a tree that holds all of its text.

    HTML that libxml2 would cut short, or whose tags carry attributes by the
    thousand, is flattened first. The root is None for blank HTML, and for
    HTML that even flattened does not parse whole. Raises what lxml raises
    for input it refuses outright.
    """
    html = _XML_DECLARATION.sub("", html.strip(), count=1)
    # libxml2 drops whatever follows </html>, where mail gateways append
    # their footers; a browser shows it, in the body.
    html = _HTML_END.sub("", html)
    if not html:
        return HtmlTree(root=None)
    if not _crowded(html):
        root = _parse_whole(html, huge=False)
        if root is not None:
            return HtmlTree(root=root)

    # Flattened HTML nests shallowly, so lifting libxml2's limits only
    # lets a text run of over 10 MB through.
    flat = flatten_html(html)
    return HtmlTree(root=_parse_whole(flat.html, huge=True), flattened=True)


def _parse_whole(html: str, huge: bool) -> lxml.html.HtmlElement | None:
    """Parse with libxml2; None when it stopped before the end of the HTML."""
    parser = lxml.html.HTMLParser(huge_tree=huge)
    try:
        root = lxml.html.document_fromstring(html, parser=parser)
    except ParserError:  # nothing to show but text: read it as preformatted
        parser = lxml.html.HTMLParser(huge_tree=huge)
        root = lxml.html.document_fromstring(f"<pre>{html}</pre>", parser=parser)
    stopped = any(entry.level == ErrorLevels.FATAL for entry in parser.error_log)
    return None if stopped else root


def _crowded(html: str) -> bool:
    """Tell whether some tag holds more attributes than parsers take quickly."""
    position = 0
    while (found := _MARKUP.search(html, position)) is not None:
        position = found.end()
        if found.group(3) is None or found.group(2):
            continue  # not a start tag
        attributes, end = _read_attributes(html, position, MAX_ATTRIBUTES + 1)
        if len(attributes) > MAX_ATTRIBUTES:
            return True
        position = len(html) if end is None else end
    return False


def flatten_html(
    html: str, max_nesting: int = MAX_NESTING, max_attributes: int = MAX_ATTRIBUTES
) -> FlatHtml:
    """Rewrite HTML so that no element nests deeper than `max_nesting`.

    An element deeper than that loses its tags but keeps its text, and one
    that starts a line still does (the first link among them keeps its tag);
    a tag keeps its first `max_attributes` attributes. Every element kept is
    closed explicitly and in order, so a parser builds no deeper tree.
    """
    tree = _Flattener(max_nesting, max_attributes)
    position = 0
    while (found := _MARKUP.search(html, position)) is not None:
        tree.add_text(html[position : found.start()])
        position = _read_markup(html, found, tree)
    tree.add_text(html[position:])
    tree.close_all()
    return FlatHtml(html="".join(tree.out), changed=tree.changed)


def _read_markup(html: str, found: re.Match[str], tree: _Flattener) -> int:
    """Hand the markup at `found` to the flattener; return where it ends."""
    comment, closing, name = found.groups()
    if comment or name is None:  # a comment, <!DOCTYPE>, <![CDATA[ or <?
        close = "-->" if comment else ">"
        end = html.find(close, found.end())
        end = len(html) if end < 0 else end + len(close)
        tree.add_markup(html[found.start() : end])
        return end
    if closing:
        end = html.find(">", found.end())
        if end < 0:
            return len(html)
        tree.end(name.lower())
        return end + 1
    return _read_start_tag(html, found.end(), name.lower(), tree)


def _read_start_tag(html: str, position: int, name: str, tree: _Flattener) -> int:
    """Hand a start tag, and a script's or style's text, to the flattener."""
    attributes, end = _read_attributes(html, position, limit=None)
    if end is None:  # a tag that never ends hides the rest, as in a browser
        return len(html)
    tree.start(name, attributes)
    if name not in _RAW_TEXT:
        return end

    closed = _RAW_TEXT_END[name].search(html, end)
    stop = len(html) if closed is None else closed.start()
    tree.add_raw_text(html[end:stop])
    return stop


def _read_attributes(
    html: str, position: int, limit: int | None
) -> tuple[list[str], int | None]:
    """Return a tag's attributes as written and where the tag ends.

    The end is None for a tag cut off by the end of the HTML; `limit` stops
    the reading after that many attributes.
    """
    attributes: list[str] = []
    while position < len(html) and (limit is None or len(attributes) < limit):
        found = _BETWEEN_ATTRIBUTES.match(html, position)
        position = found.end() if found else position
        if html.startswith(">", position):
            return attributes, position + 1
        attribute = _ATTRIBUTE.match(html, position)
        if attribute is None:  # a stray quote or equals sign
            position += 1
            continue
        attributes.append(attribute.group())
        position = attribute.end()
    return attributes, None


@dataclass
class _Flattener:
    """The open elements of the HTML read so far, and the HTML written."""

    max_nesting: int
    max_attributes: int
    out: list[str] = field(default_factory=list)
    changed: bool = False
    # Open elements, innermost last, with whether their tags were written.
    open: list[tuple[str, bool]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    deep_link: bool = False
    broken: bool = False

    def start(self, name: str, attributes: list[str]) -> None:
        """Open an element, writing its tag if it is shallow enough."""
        if name in _VOID:  # adds no depth
            self._write_tag(name, attributes)
            return
        if name in _SIBLINGS and self.open and self.open[-1][0] == name:
            self._close_innermost()

        shallow = len(self.open) < self.max_nesting
        kept = shallow or (name == "a" and not self.deep_link)
        self.deep_link = self.deep_link or (kept and not shallow)
        self.open.append((name, kept))
        self.counts[name] = self.counts.get(name, 0) + 1
        if kept:
            self._write_tag(name, attributes)
        else:
            self._leave_out(name)

    def end(self, name: str) -> None:
        """Close the innermost open `name` and everything inside it."""
        if not self.counts.get(name):
            return  # an end tag without its start: parsers drop it too
        while self._close_innermost() != name:
            pass

    def add_text(self, text: str) -> None:
        """Write text between tags as it came."""
        self.out.append(text)
        if text.strip():
            self.broken = False

    def add_markup(self, markup: str) -> None:
        """Write a comment or declaration as it came; it adds no depth."""
        self.out.append(markup)

    def add_raw_text(self, text: str) -> None:
        """Write a script's or style's content, if its tags were written."""
        if self.open and self.open[-1][1]:
            self.add_text(text)

    def close_all(self) -> None:
        """Close every element still open at the end of the HTML."""
        while self.open:
            self._close_innermost()

    def _close_innermost(self) -> str:
        """Close the innermost open element and return its name."""
        name, kept = self.open.pop()
        self.counts[name] -= 1
        if not kept:
            self._leave_out(name)
        else:
            self.out.append(f"</{name}>")
            if len(self.open) >= self.max_nesting:  # the link kept below the cap
                self.deep_link = False
        return name

    def _write_tag(self, name: str, attributes: list[str]) -> None:
        """Write a start tag with its first attributes, each name once."""
        kept: dict[str, str] = {}
        for attribute in attributes:
            key = attribute.partition("=")[0].strip().lower()
            if key in kept:
                continue  # the first of two values counts, as in a browser
            if len(kept) == self.max_attributes:
                self.changed = True
                break
            kept[key] = attribute
        self.out.append(" ".join([f"<{name}", *kept.values()]) + ">")
        self.broken = False

    def _leave_out(self, name: str) -> None:
        """Drop a tag too deep to keep; a block's still breaks the line."""
        self.changed = True
        if name in _BLOCKS and not self.broken:
            self.out.append("<br>")
            self.broken = True
