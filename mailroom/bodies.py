"""Mail bodies: bytes to text, HTML to readable text, HTML made safe to show."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer
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

from mailroom.detection_budget import take_detection
from mailroom.html_tree import flatten_html, parse_html

# Labels mail clients send that Python does not know, or knows as a narrower
# charset than the one the text really uses (the WHATWG encoding standard
# maps these the same way; a superset decodes everything the subset does).
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "big5": "big5hkscs",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-roman": "mac-roman",
    "unicode-1-1-utf-7": "utf-7",
    "x-unicode-2-0-utf-7": "utf-7",
    "x-user-defined": "cp1252",
}

# Python codecs that are not charsets a mail could be written in.
_NOT_MAIL_CHARSETS = {
    "idna",
    "punycode",
    "raw-unicode-escape",
    "unicode-escape",
    "undefined",
    "mbcs",
    "oem",
}

# Detection on a short text is a guess; limiting it to the charsets mail is
# commonly written in keeps the guess among plausible ones.
_DETECTABLE = [
    "cp1252", "cp1250", "cp1251", "koi8_r", "iso8859_2", "iso8859_5",
    "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp874",
    "cp932", "euc_jp", "iso2022_jp", "gb18030", "big5", "cp949",
]  # fmt: skip

_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
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


def resolve_charset(label: str | None) -> str | None:
    """Return the Python codec for a charset label, or None if it is unusable."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        codec = codecs.lookup(name).name
        b"a".decode(codec, errors="replace")  # refuses non-text codecs
    except (LookupError, ValueError):
        return _resolve_x_label(name)
    return None if codec in _NOT_MAIL_CHARSETS else codec


def _resolve_x_label(name: str) -> str | None:
    """Try a label once more without the `x-` prefix of unofficial names."""
    if not name.startswith("x-"):
        return None
    return resolve_charset(name[2:])


def decode_bytes(data: bytes, charset: str | None, html: bool = False) -> str:
    """Decode text bytes: declared charset, HTML meta, then detection.

    Never raises; bytes no charset explains are read as Windows-1252.
    """
    declared = resolve_charset(charset)
    if declared is None and html:
        declared = resolve_charset(_meta_charset(data))
    if declared in (None, "ascii"):
        return _decode_undeclared(data)
    if declared == "utf-8":
        return decode_utf8_lenient(data)
    if declared == "cp1252":
        return _decode_cp1252(data)

    text = _decode_strict(data, declared)
    if text is None and declared.startswith("iso2022_jp"):
        text = decode_iso2022jp_windows(data)
    if text is None:
        text = data.decode(declared, errors="replace")
    return text


def _decode_undeclared(data: bytes) -> str:
    """Decode bytes of unknown charset: UTF-8 if valid, else a detected one."""
    text = _decode_strict(data, "utf-8")
    if text is not None:
        return text
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if not take_detection():
        return decode_utf8_lenient(data)

    sample = data[:65536]
    best = charset_normalizer.from_bytes(sample, cp_isolation=_DETECTABLE).best()
    detected = resolve_charset(best.encoding) if best is not None else None
    if detected is not None and detected != "utf-8":
        text = _decode_strict(data, detected)
        if text is not None:
            return text
    return decode_utf8_lenient(data)


def _decode_strict(data: bytes, codec: str) -> str | None:
    """Decode with `codec`, or return None when the bytes do not fit it."""
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError, ValueError):
        return None


def decode_utf8_lenient(data: bytes) -> str:
    """Decode UTF-8, reading any byte that is not valid UTF-8 as Windows-1252."""
    return data.decode("utf-8", errors=_AS_CP1252)


def _read_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Read the bytes UTF-8 refused as Windows-1252, and go on after them.

    One pass over the bytes: restarting the decoder after each bad byte
    would copy the rest of the text once per bad byte.
    """
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return _decode_cp1252(error.object[error.start : error.end]), error.end


_AS_CP1252 = "mailroom-as-cp1252"
codecs.register_error(_AS_CP1252, _read_as_cp1252)


def _decode_cp1252(data: bytes) -> str:
    """Decode Windows-1252, reading its five unassigned bytes as Latin-1."""
    text = _decode_strict(data, "cp1252")
    if text is not None:
        return text
    return "".join(
        _decode_strict(bytes([byte]), "cp1252") or chr(byte) for byte in data
    )


def decode_iso2022jp_windows(data: bytes) -> str:
    """Decode ISO-2022-JP as Windows writes it (CP50220), NEC symbols included.

    Outlook puts characters such as ① or № in ISO-2022-JP mail; Python's
    codec rejects them, while cp932 knows them once the codes are shifted.
    """
    sjis = bytearray()
    for escape, chunk in _iso2022_runs(data):
        if escape in (b"\x1b$B", b"\x1b$@"):
            for first, second in zip(chunk[::2], chunk[1::2], strict=False):
                sjis += _jis_to_sjis(first, second)
        elif escape == b"\x1b(I":
            sjis += bytes(byte | 0x80 for byte in chunk)
        else:
            sjis += chunk
    return bytes(sjis).decode("cp932", errors="replace")


def _iso2022_runs(data: bytes) -> list[tuple[bytes, bytes]]:
    """Split ISO-2022-JP bytes into (escape sequence, bytes) runs."""
    pieces = re.split(rb"(\x1b(?:\$[@B]|\([BJI]))", data)
    runs = [(b"\x1b(B", pieces[0])]
    runs += list(zip(pieces[1::2], pieces[2::2], strict=False))
    return runs


def _jis_to_sjis(first: int, second: int) -> bytes:
    """Shift one JIS X 0208 code (two 7-bit bytes) to its Shift_JIS bytes."""
    if not (0x21 <= first <= 0x7E and 0x21 <= second <= 0x7E):
        return b"?"
    lead = (first + 1) // 2 + (0x70 if first <= 0x5E else 0xB0)
    shift = (0x1F if second <= 0x5F else 0x20) if first % 2 else 0x7E
    return bytes((lead, second + shift))


def _meta_charset(data: bytes) -> str | None:
    """Return the charset an HTML document declares in a meta tag, if any."""
    found = _META_CHARSET.search(data[:4096])
    return found.group(1).decode("ascii", errors="replace") if found else None


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
