"""HTML bodies: rendered as text, and sanitized."""

from __future__ import annotations

import time

import pytest

from mailroom.bodies import html_to_text, render_html, sanitize_html
from mailroom.reply_text import strip_quoted


def test_html_to_text_keeps_paragraphs_and_table_cells() -> None:
    """HTML renders as lines, with table cells side by side."""
    html = "<p>Dear team,</p><table><tr><td>Host</td><td>db-02</td></tr></table>"
    text = html_to_text(html)
    assert text.splitlines()[0] == "Dear team,"
    assert "Host" in text and "db-02" in text


def test_html_to_text_drops_scripts_styles_and_control_characters() -> None:
    """Script and style content and control characters do not show."""
    html = "<style>p{color:red}</style><script>x()</script><p>Vis\x00ible</p>"
    assert html_to_text(html) == "Visible"


@pytest.mark.parametrize("html", ["", "   ", "<!-- only a comment -->", "<<<>>>"])
def test_html_to_text_accepts_empty_or_odd_input(html: str) -> None:
    """Empty or odd HTML gives text without raising."""
    assert isinstance(html_to_text(html), str)


def test_sanitize_removes_scripts_handlers_and_javascript_urls() -> None:
    """Nothing that runs survives sanitizing."""
    html = (
        '<p onclick="steal()">Hi<script>alert(1)</script>'
        '<a href="javascript:alert(1)">x</a><style>*{}</style></p>'
    )
    clean = sanitize_html(html)
    for needle in ("onclick", "script", "javascript", "style", "alert"):
        assert needle not in clean


def test_sanitize_keeps_formatting_tables_and_links() -> None:
    """Basic formatting, tables and https links are kept."""
    html = '<b>bold</b><table><tr><td colspan="2">c</td></tr></table>'
    clean = sanitize_html(html + '<a href="https://example.org/x">link</a>')
    assert "<b>bold</b>" in clean and 'colspan="2"' in clean
    assert 'href="https://example.org/x"' in clean


@pytest.mark.parametrize(
    ("src", "kept"),
    [
        ("cid:image001.png@01DB", True),
        ("data:image/png;base64,iVBORw0KGgo=", True),
        ("https://cdn.example.org/logo.png", True),
        ("http://tracker.example.com/open.gif", False),
        ("data:image/svg+xml;base64,PHN2Zz4=", False),
        ("javascript:alert(1)", False),
    ],
)
def test_sanitize_keeps_images_only_from_allowed_sources(src: str, kept: bool) -> None:
    """Images keep cid:, data: raster and https sources; others are dropped."""
    clean = sanitize_html('<img src="' + src + '" alt="x">')
    assert ("src=" in clean) is kept


def test_sanitize_drops_data_urls_on_links() -> None:
    """A data: URL is allowed on an image, never on a link."""
    clean = sanitize_html('<a href="data:text/html,hi">x</a>')
    assert "data:" not in clean


def lines(text: str) -> list[str]:
    """Return the non-blank lines of a text without their indentation."""
    return [line.strip() for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("depth", [300, 5000])
@pytest.mark.parametrize("closed", [True, False])
def test_html_nested_past_the_parser_limit_keeps_its_text(
    depth: int, closed: bool
) -> None:
    """Past libxml2's 256 levels, every line still comes out, and it says so."""
    html = "<div>" * depth + "Hello there" + "</div>" * depth * closed
    rendered = render_html(html + "<p>Priority: High</p>")

    assert lines(rendered.text) == ["Hello there", "Priority: High"]
    assert rendered.flattened


def test_html_within_the_parser_limit_is_not_flattened() -> None:
    """Two hundred levels render as before, with no flattening."""
    rendered = render_html("<div>" * 200 + "Hello there<p>Priority: High</p>")

    assert lines(rendered.text) == ["Hello there", "Priority: High"]
    assert not rendered.flattened


def test_tables_nested_a_thousand_deep_keep_their_text() -> None:
    """Deep tables lose their layout, never their cells' text."""
    html = "<table><tr><td>" * 1000 + "innermost cell"

    assert "innermost cell" in html_to_text(html)


def test_a_text_run_past_the_parser_limit_is_kept() -> None:
    """One text run over libxml2's 10 MB, which it would drop, comes out whole."""
    html = "<p>Hello</p><pre>" + "x" * 11_000_000 + "</pre><p>Priority: High</p>"
    rendered = render_html(html)

    assert lines(rendered.text)[0] == "Hello"
    assert lines(rendered.text)[-1] == "Priority: High"
    assert len(rendered.text) > 11_000_000


def test_text_after_the_closing_html_tag_is_kept() -> None:
    """A footer a gateway appended after </html> stays in the text."""
    html = "<html><body><p>Disk full</p></body></html>\r\n<p>Scanned: clean</p>"

    assert lines(html_to_text(html)) == ["Disk full", "Scanned: clean"]


def test_a_tag_with_thousands_of_attributes_renders_quickly() -> None:
    """Forty thousand attributes on one tag take no quadratic time to parse."""
    attributes = " ".join(f'data-a{index}="v"' for index in range(40_000))
    started = time.perf_counter()
    text = html_to_text(f"<p {attributes}>Printer offline</p>")

    assert time.perf_counter() - started < 2.0
    assert text == "Printer offline"


def test_many_siblings_render_every_line_in_linear_time() -> None:
    """Twenty thousand paragraphs all come out, quickly."""
    html = "".join(f"<p>line {index}</p>" for index in range(20_000))
    started = time.perf_counter()
    text = html_to_text(html)

    assert time.perf_counter() - started < 2.0
    assert lines(text)[-1] == "line 19999" and len(lines(text)) == 20_000


def test_sanitizing_deep_html_is_quick_and_keeps_its_text() -> None:
    """Sixty thousand levels, quadratic for nh3 alone, sanitize in a moment."""
    started = time.perf_counter()
    clean = sanitize_html("<div>" * 60_000 + "Printer offline" + "</div>" * 60_000)

    assert time.perf_counter() - started < 2.0
    assert "Printer offline" in clean
    assert clean.count("<div>") <= 256


GMAIL_BODY = (
    '<div dir="ltr"><div>The scanner on floor 3 jams.</div>'
    "<div>Priority: High</div></div>"
)
OUTLOOK_BODY = (
    "<html><body lang=EN-US><div class=WordSection1>"
    "<p class=MsoNormal>The scanner on floor 3 jams.<o:p></o:p></p>"
    "<p class=MsoNormal>Priority: High<o:p></o:p></p></div></body></html>"
)


@pytest.mark.parametrize(
    "html",
    [
        GMAIL_BODY,
        OUTLOOK_BODY,
        "<div>" * 30 + GMAIL_BODY + "</div>" * 30,
        "<section><article>" + OUTLOOK_BODY + "</article></section>",
    ],
    ids=["gmail", "outlook", "deep", "sections"],
)
def test_nested_layout_blocks_add_no_indentation(html: str) -> None:
    """Divs and sections a mail client nests its text in indent nothing."""
    text = html_to_text(html)

    assert [line for line in text.splitlines() if line] == [
        "The scanner on floor 3 jams.",
        "Priority: High",
    ]


def test_spans_add_no_blanks_inside_a_line() -> None:
    """Spans that split a line, as Outlook writes them, add no spaces."""
    html = "<p><span>Prio</span><span>rity</span><span>:</span> High</p>"

    assert html_to_text(html) == "Priority: High"


def test_sections_and_definition_lists_start_their_own_lines() -> None:
    """Blocks the browser profile leaves out still keep their text apart."""
    html = "<section>Printer</section><section>offline</section><dl><dt>Floor"
    html += "</dt><dd>3</dd></dl><center>Thanks</center>"

    assert html_to_text(html).splitlines() == [
        "Printer", "offline", "Floor", "3", "Thanks",
    ]  # fmt: skip


def test_lists_keep_their_bullets_and_indentation() -> None:
    """List items keep a bullet, and a nested list is indented deeper."""
    html = "<div><ul><li>Restart it<ul><li>twice</li></ul></li></ul></div>"

    assert html_to_text(html).splitlines() == ["  * Restart it", "      + twice"]


def test_tables_keep_rows_and_pre_keeps_spacing() -> None:
    """Table rows stay lines with cells apart; preformatted text is untouched."""
    html = "<div><table><tr><td>Host</td><td>db-02</td></tr><tr><td>Disk</td>"
    html += "<td>97%</td></tr></table><pre>  error 42\n    at line 7</pre></div>"

    assert html_to_text(html).splitlines() == [
        "Host  db-02", "Disk  97%", "", "  error 42", "    at line 7",
    ]  # fmt: skip


def test_style_padding_and_margins_are_capped() -> None:
    """A padding of 100,000 em indents by eight; a huge margin adds one blank."""
    html = (
        '<p style="padding-left:100000em">Gate 4 is open.</p>'
        '<p style="margin-top:99999em">Dock 2 is closed.</p>'
    )
    assert render_html(html).text == " " * 8 + "Gate 4 is open.\n\nDock 2 is closed."


def test_lists_nested_past_six_levels_indent_no_further() -> None:
    """Ten nested lists indent like six; every level keeps its bullet."""
    lines = render_html("<ul><li>" * 10 + "Valve 9").text.splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines]
    assert indents == [2, 6, 10, 14, 18, 22, 22, 22, 22, 22]
    assert lines[-1] == " " * 22 + "+ Valve 9"


def test_an_html_reply_keeps_its_lines_flush_above_the_quote() -> None:
    """A Gmail reply's new text has no indentation once the quote is cut."""
    html = (
        '<div dir="ltr"><div>Fixed on floor 3.</div><div>Please retest.</div>'
        '</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        "On Mon, 7 Dec 2026 at 09:12, Ann Lee &lt;ann@example.com&gt; wrote:"
        '<br></div><blockquote class="gmail_quote"><div dir="ltr"><div>'
        "The scanner jams.</div></div></blockquote></div>"
    )

    reply = strip_quoted(html_to_text(html))

    assert reply == "Fixed on floor 3.\nPlease retest."
