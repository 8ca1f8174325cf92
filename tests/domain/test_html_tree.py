"""Hostile HTML made shallow: nesting and attributes capped, text kept."""

from __future__ import annotations

import re
import time

import pytest

from mailroom.html_tree import MAX_ATTRIBUTES, flatten_html, parse_html


def deepest(html: str) -> int:
    """Return how deep the tags of well-nested HTML nest."""
    depth = deepest = 0
    for closing, name in re.findall(r"<(/?)([a-z]+)", html):
        if name in ("br", "img"):
            continue
        depth += -1 if closing else 1
        deepest = max(deepest, depth)
    return deepest


def test_nesting_past_the_cap_loses_tags_but_not_text() -> None:
    """Five thousand open divs come out forty deep, every word still there."""
    flat = flatten_html("<div>" * 5000 + "Hello there<p>Priority: High</p>")

    assert flat.changed
    assert deepest(flat.html) == 40
    assert "Hello there<br>Priority: High" in flat.html


def test_shallow_html_comes_out_as_it_went_in() -> None:
    """HTML within the caps keeps its tags, attributes and comments."""
    html = '<!-- x --><table border="1"><tr><td>a</td></tr></table><p>b<br>c</p>'

    assert flatten_html(html).html == html
    assert not flatten_html(html).changed


def test_implied_end_tags_are_written_out() -> None:
    """A new paragraph closes the open one; the end closes the rest."""
    assert flatten_html("<p>a<p>b<b>c").html == "<p>a</p><p>b<b>c</b></p>"


def test_misnested_tags_cannot_deepen_the_tree() -> None:
    """`<b><div></b>` repeated closes both each time, as written out."""
    flat = flatten_html("<b><div></b>" * 2000 + "end")

    assert deepest(flat.html) == 2
    assert flat.html.endswith("end")


def test_the_first_link_below_the_cap_keeps_its_tag() -> None:
    """A link deep in the HTML still carries its address."""
    html = "<div>" * 100 + '<a href="https://example.org/x">file</a>'

    assert '<a href="https://example.org/x">file</a>' in flatten_html(html).html


def test_a_script_below_the_cap_leaves_no_text() -> None:
    """Script content whose tags were dropped is dropped with them."""
    flat = flatten_html("<div>" * 100 + "<script>var code = 1;</script>shown")

    assert "var code" not in flat.html
    assert "shown" in flat.html


def test_a_tag_keeps_only_its_first_attributes() -> None:
    """Past the attribute cap, the rest of a tag's attributes are dropped."""
    attributes = " ".join(f'a{index}="v"' for index in range(1000))
    flat = flatten_html(f"<div {attributes}>text</div>")

    assert flat.changed
    assert flat.html.count('="v"') == MAX_ATTRIBUTES
    assert flat.html.endswith(">text</div>")


@pytest.mark.parametrize(
    "html",
    [
        "<a " * 200_000,
        "<a" * 300_000,
        '<x y="' + "<a" * 300_000 + '">',
        "<!--" * 200_000,
        "<!" * 300_000,
        "</a" * 300_000,
        "<div>" * 100_000 + "</span>" * 100_000,
        "<script>" * 100_000,
    ],
    ids=["open-tags", "no-spaces", "in-a-value", "comments", "bangs", "ends",
         "stray-ends", "scripts"],
)  # fmt: skip
def test_token_soup_is_read_in_linear_time(html: str) -> None:
    """Markup that a backtracking reader would take quadratic time on is quick."""
    started = time.perf_counter()
    flatten_html(html)
    parse_html(html)

    assert time.perf_counter() - started < 2.0


def test_libxml2_limit_is_met_by_flattening() -> None:
    """HTML nested past libxml2's 256 levels parses whole once flattened."""
    tree = parse_html("<div>" * 300 + "deep text")

    assert tree.flattened
    assert tree.root is not None
    assert "deep text" in tree.root.text_content()


def test_ordinary_html_is_parsed_as_it_is() -> None:
    """HTML libxml2 takes whole is not flattened."""
    tree = parse_html("<div>" * 200 + "deep text")

    assert not tree.flattened
    assert tree.root is not None


def test_text_after_the_closing_html_tag_is_kept() -> None:
    """A gateway's footer after </html> stays, as a browser shows it."""
    tree = parse_html("<html><body><p>Hi</p></body></html><p>Scanned</p>")

    assert tree.root is not None
    assert tree.root.text_content() == "HiScanned"
