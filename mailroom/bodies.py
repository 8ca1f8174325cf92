"""HTML bodies: rendered as readable text, and made safe to show."""

from __future__ import annotations

import re
from dataclasses import dataclass

import nh3
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.html_engine import Inscriptis
from inscriptis.html_properties import Display
from inscriptis.model.attribute import DEFAULT_ATTRIBUTE_MAP
from inscriptis.model.config import ParserConfig
from inscriptis.model.css import CssParse
from inscriptis.model.html_element import HtmlElement
from lxml.etree import LxmlError, iterwalk
from lxml.html import HtmlElement as HtmlNode

from mailroom.html_tree import flatten_html, parse_html

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TAG = re.compile(r"<[^>]*>")

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "col",
    "colgroup", "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "ol", "p", "pre", "q", "s",
    "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_CELL = {"align", "colspan", "rowspan", "valign", "width"}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "table": {"border", "cellpadding", "cellspacing", "width"},
    "td": _CELL,
    "th": _CELL,
    "ol": {"start"},
    "font": {"color"},
    "*": {"dir", "lang"},
}
_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid", "data"}
# Sanitized HTML keeps more of its layout than text needs; nh3 is quick at
# this depth, and browsers show it.
_SANITIZED_NESTING = 256

# Blocks that inscriptis's browser profile leaves out: their text would run
# into the next line's.
_UNLISTED_BLOCKS = {
    "center", "dd", "details", "dl", "dt", "fieldset", "form", "hr", "section",
    "summary",
}  # fmt: skip
# Browser defaults, as a mail client shows them. Inscriptis's own default
# indents every <div> level and pads every <span> with blanks: mail nests
# its layout in divs and splits words into spans, so that invents
# indentation and breaks "Key: Value" lines. Lists and <pre> keep theirs.
_TEXT_CSS = CSS_PROFILES["strict"] | {
    name: HtmlElement(display=Display.block) for name in _UNLISTED_BLOCKS
}
_TEXT_CONFIG = ParserConfig(css=_TEXT_CSS)

# Inscriptis writes a style's padding as blanks before every line inside the
# element, and its margins as empty lines, up to 100,000 each: forty bytes
# of HTML could write 100 MB of text. Padding and margins are capped, and
# so is the number of indented levels whose padding adds up.
_MAX_PADDING = 8  # characters: a browser's 40px list indent is five
_MAX_MARGIN = 2  # lines; empty lines are collapsed to one anyway
_MAX_INDENTED = 6
_INDENTED_TAGS = {name for name, element in _TEXT_CSS.items() if element.padding_inline}


HTML_FLATTENED = (
    "The HTML body nests too deeply, or is too large or crowded, for the HTML "
    "parser to take whole; its text was read from a flattened copy."
)


@dataclass(frozen=True)
class HtmlText:
    """The text of an HTML body, and whether it was read from a flattened copy."""

    text: str
    flattened: bool = False


def render_html(html: str) -> HtmlText:
    """Render HTML as readable plain text, as a mail client would show it.

    However deep the HTML nests, all of its text comes out; `flattened`
    says when the layout of the deepest parts was given up for it.
    """
    html = _CONTROL.sub("", html)
    try:
        tree = parse_html(html)
    except (LxmlError, ValueError):
        return HtmlText(_tidy_lines(_TAG.sub(" ", html)))
    if tree.root is None:
        text = _TAG.sub(" ", html) if tree.flattened else ""
    else:
        _limit_indentation(tree.root)
        text = Inscriptis(tree.root, _TEXT_CONFIG).get_text()
    return HtmlText(_tidy_lines(text), flattened=tree.flattened)


def _bounded_style(value: str, element: HtmlElement) -> None:
    """Apply a style attribute as Inscriptis does, its spacing capped."""
    CssParse.attr_style(value, element)
    element.padding_inline = min(max(element.padding_inline, 0), _MAX_PADDING)
    element.margin_before = min(max(element.margin_before, 0), _MAX_MARGIN)
    element.margin_after = min(max(element.margin_after, 0), _MAX_MARGIN)


_TEXT_CONFIG.attribute_handler.attribute_mapping = {
    **DEFAULT_ATTRIBUTE_MAP,
    "style": _bounded_style,
}


def _limit_indentation(root: HtmlNode) -> None:
    """Give no padding to elements inside `_MAX_INDENTED` indented ones."""
    depth = 0
    for event, element in iterwalk(root, events=("start", "end")):
        if not _is_indented(element):
            continue
        if event == "end":
            depth -= 1
            continue
        depth += 1
        if depth > _MAX_INDENTED:
            style = element.get("style") or ""
            element.set("style", style + ";padding-left:0em")


def _is_indented(element: HtmlNode) -> bool:
    """Tell whether an element may indent the lines inside it."""
    if not isinstance(element.tag, str):
        return False  # a comment or processing instruction
    style = element.get("style")
    return element.tag in _INDENTED_TAGS or "padding" in (style or "").lower()


def html_to_text(html: str) -> str:
    """Render HTML as readable plain text, as a mail client would show it."""
    return render_html(html).text


def _tidy_lines(text: str) -> str:
    """Strip trailing blanks and collapse runs of empty lines to one."""
    lines = [line.rstrip() for line in text.splitlines()]
    tidy = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return tidy.strip("\n")


def sanitize_html(html: str) -> str:
    """Return the HTML with everything that could run or track removed.

    It is flattened first: nh3's parser slows down with the square of the
    nesting depth, and of the attributes of one tag.
    """
    flat = flatten_html(_CONTROL.sub("", html), max_nesting=_SANITIZED_NESTING)
    return nh3.clean(
        flat.html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        attribute_filter=_filter_attribute,
        clean_content_tags={"script", "style", "title", "head"},
        strip_comments=True,
        link_rel="noopener noreferrer nofollow",
    )


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Keep a URL attribute only with a scheme allowed for its tag."""
    if attribute not in ("href", "src"):
        return value
    scheme = value.strip().split(":", 1)[0].lower() if ":" in value else ""
    if tag == "img":
        allowed = scheme in ("cid", "https") or _is_data_image(value)
        return value if allowed else None
    return None if scheme in ("cid", "data") else value


def _is_data_image(value: str) -> bool:
    """Tell whether a URL is an inline raster image (`data:image/...`)."""
    lowered = value.strip().lower()
    return lowered.startswith("data:image/") and "svg" not in lowered[:20]
