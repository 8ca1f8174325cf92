"""Parsing the shared cases 01, 09, 10 and 13 (encodings, inline, rfc822, ids)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from mailroom.identity import dedupe_key
from mailroom.mime import parse_mail
from mailroom.models import NormalizedMail, ParsedMail
from tests.cases import SHARED

CASES = SHARED / "cases"
MAILBOX = "helpdesk@example.org"

pytestmark = pytest.mark.skipif(
    not CASES.is_dir(), reason=f"shared cases not found at {CASES}"
)


def _parsed(case: str, name: str) -> ParsedMail:
    """Parse one .eml file of a shared case."""
    return parse_mail((CASES / case / name).read_bytes())


def _ticket(case: str, name: str) -> dict[str, Any]:
    """Return the expected ticket of one case mail."""
    expected = json.loads((CASES / case / "expected.json").read_text())
    ticket: dict[str, Any] = expected["results"][name]["ticket"]
    return ticket


ENCODED = "01-rfc2047-encoded-subject"
ENCODED_MAILS = [
    "message-q-folded.eml",
    "message-b-latin2.eml",
    "message-raw-utf8-header.eml",
]


@pytest.mark.parametrize("name", ENCODED_MAILS)
def test_case_01_subjects_and_bodies_decode(name: str) -> None:
    """Each subject is the expected summary; the body holds the text."""
    mail = _parsed(ENCODED, name).mail
    ticket = _ticket(ENCODED, name)
    assert mail.subject == ticket["summary"]
    for text in ticket["description_contains"]:
        assert text in mail.text_body


@pytest.mark.parametrize("name", ENCODED_MAILS)
def test_case_01_has_no_raw_words_mojibake_or_replacement(name: str) -> None:
    """No `=?`, no doubly decoded UTF-8 and no U+FFFD anywhere visible."""
    mail = _parsed(ENCODED, name).mail
    name_text = mail.sender.name if mail.sender else ""
    for text in (mail.subject, name_text, mail.text_body):
        assert "=?" not in text and "?=" not in text
        assert "\ufffd" not in text and "Ã" not in text


@pytest.mark.parametrize("name", ENCODED_MAILS)
def test_case_01_reporter_names_decode(name: str) -> None:
    """The encoded display name becomes the expected reporter name."""
    mail = _parsed(ENCODED, name).mail
    expected = _ticket(ENCODED, name).get("reporter_name")
    assert mail.sender is not None
    assert expected is None or mail.sender.name == expected


INLINE = "09-inline-cid-no-disposition"


def test_case_09_cid_image_is_inline_with_its_content_id() -> None:
    """The image without disposition is inline and keeps its bytes."""
    mail = _parsed(INLINE, "outlook-inline-image.eml").mail
    (image,) = _ticket(INLINE, "outlook-inline-image.eml")["inline_images"]
    found = [a for a in mail.attachments if a.filename == image["filename"]]
    assert len(found) == 1 and found[0].inline
    assert found[0].content_id == image["content_id"]
    assert (found[0].size, found[0].sha256) == (image["size"], image["sha256"])


def test_case_09_pdf_is_a_plain_attachment() -> None:
    """The PDF is an attachment, not inline, with the expected bytes."""
    mail = _parsed(INLINE, "outlook-inline-image.eml").mail
    (pdf,) = _ticket(INLINE, "outlook-inline-image.eml")["attachments_must_include"]
    found = [a for a in mail.attachments if a.filename == pdf["filename"]]
    assert len(found) == 1 and not found[0].inline
    assert (found[0].size, found[0].sha256) == (pdf["size"], pdf["sha256"])


FORWARD = "10-forwarded-message-rfc822"


def test_case_10_forwarded_message_is_kept_as_eml() -> None:
    """The attached message stays one attachment named after its subject."""
    parsed = _parsed(FORWARD, "forward-as-attachment.eml")
    kept = _ticket(FORWARD, "forward-as-attachment.eml")["forwarded_message_kept"]
    names = [item.meta.filename for item in parsed.files]
    assert names == kept["as_attachment_filename_acceptable"]
    assert parsed.mail.sender is not None
    assert parsed.mail.sender.email == "mira.lindqvist@example.com"


def test_case_10_inner_png_is_reachable_in_the_kept_eml() -> None:
    """Parsing the kept .eml bytes finds the photo with its hash and size."""
    parsed = _parsed(FORWARD, "forward-as-attachment.eml")
    (photo,) = _ticket(FORWARD, "forward-as-attachment.eml")[
        "attachments_must_be_reachable"
    ]
    inner = parse_mail(parsed.files[0].data)
    found = [f for f in inner.files if f.meta.filename == photo["filename"]]
    assert len(found) == 1 and len(found[0].data) == photo["size"]
    assert hashlib.sha256(found[0].data).hexdigest() == photo["sha256"]


def test_case_10_body_is_the_forwarders_text_only() -> None:
    """The outer text is the body; the inner mail is not merged into it."""
    mail = _parsed(FORWARD, "forward-as-attachment.eml").mail
    assert "Please handle this customer complaint" in mail.text_body
    assert "crushed corner" not in mail.text_body


DUPLICATES = "13-duplicate-delivery-missing-ids"


def _mail_and_key(name: str) -> tuple[NormalizedMail, str]:
    """Parse a case-13 mail and compute its dedupe key in the helpdesk box."""
    raw = (CASES / DUPLICATES / name).read_bytes()
    mail = parse_mail(raw).mail
    return mail, dedupe_key(MAILBOX, mail, None, raw)


def test_case_13_two_copies_share_one_dedupe_key() -> None:
    """Both deliveries of the laptop request map to the same key."""
    first, first_key = _mail_and_key("same-message-first-copy.eml")
    _, second_key = _mail_and_key("same-message-second-copy.eml")
    assert first.message_id == "<ml.newstarter@mail.example.com>"
    assert first_key == second_key


def test_case_13_device_alert_without_ids_parses() -> None:
    """No Message-ID, Date or MIME-Version: the alert still parses fully."""
    mail, _ = _mail_and_key("device-alert-no-msgid-no-date.eml")
    assert mail.message_id is None and mail.subject == "UPS on battery power"
    assert mail.sender is not None and mail.sender.email == "ups-01@example.com"
    assert "switched to battery power" in mail.text_body
    assert mail.date == datetime(2026, 12, 3, 5, 12, 44, tzinfo=UTC)


def test_case_13_device_alert_key_is_stable() -> None:
    """The alert fed twice (even under other item ids) keeps one key."""
    name = "device-alert-no-msgid-no-date.eml"
    raw = (CASES / DUPLICATES / name).read_bytes()
    mail = parse_mail(raw).mail
    keys = {dedupe_key(MAILBOX, mail, item, raw) for item in (None, "A1", "A2")}
    assert keys == {_mail_and_key(name)[1]}
