"""The MIME parser: headers, bodies, charsets, attachments and bad input."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailroom.bodies import HTML_FLATTENED
from mailroom.mime import parse_mail, unique_filenames
from mailroom.models import NormalizedMail, ParsedMail


def _raw(*headers: str, body: str | bytes = "Hello.\r\n") -> bytes:
    """Build a mail from header lines and a body, with CRLF line ends."""
    head = "\r\n".join(headers).encode("utf-8", "surrogateescape")
    data = body if isinstance(body, bytes) else body.encode()
    return head + b"\r\n\r\n" + data


def _parse(*headers: str, body: str | bytes = "Hello.\r\n") -> NormalizedMail:
    """Parse a mail built by `_raw` and return its normalized form."""
    return parse_mail(_raw(*headers, body=body)).mail


def _b(text: str, charset: str) -> str:
    """Encode `text` as one RFC 2047 B word."""
    data = base64.b64encode(text.encode(charset)).decode()
    return "=?" + charset + "?B?" + data + "?="


def test_subject_with_adjacent_q_words_joins_them_without_a_space() -> None:
    """Encoded words apart only by folding white space are joined."""
    mail = _parse(
        "Subject: =?utf-8?Q?Disk=20full=20=E2=80=94=20?=",
        " =?utf-8?Q?server=20db-02?=",
    )
    assert mail.subject == "Disk full — server db-02"


SUBJECTS = [
    ("=?iso-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=", "Grüße aus Köln"),
    ("=?windows-1252?Q?=93Quoted=94_=80_price?=", "“Quoted” € price"),
    (_b("Žádost o přístup", "iso-8859-2"), "Žádost o přístup"),
    (_b("Сервер недоступен", "koi8-r"), "Сервер недоступен"),
    (_b("会議室の予約", "shift_jis"), "会議室の予約"),
    (_b("打印机故障", "gb2312"), "打印机故障"),
    (_b("프린터 오류", "euc-kr"), "프린터 오류"),
    (_b("Αίτημα υποστήριξης", "iso-8859-7"), "Αίτημα υποστήριξης"),
    ("Re: " + _b("Störung", "utf-8") + " im Lager", "Re: Störung im Lager"),
    ("=?UTF-8?q?lower_case_q?=", "lower case q"),
    ("=?utf-8*de?Q?Sprache_=C3=A4?=", "Sprache ä"),
    ("=?utf-8?B?w6nDqMOg?=", "éèà"),
    ("=?utf-8?B?w6nDqMO?=", "éè"),
    ("=?x-bogus?Q?plain_ascii?=", "plain ascii"),
]


@pytest.mark.parametrize(("header", "expected"), SUBJECTS)
def test_encoded_word_subjects_decode_in_many_charsets(
    header: str, expected: str
) -> None:
    """Each encoded-word subject decodes to readable text."""
    assert _parse("Subject: " + header).subject == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "=?utf-8?b?!!!notbase64***?= Bad charset",
            "=?utf-8?b?!!!notbase64***?= Bad charset",
        ),
        (
            "Printer =?utf-8?B?invalid!!?= =?utf-8?B?w6Q=?=",
            "Printer =?utf-8?B?invalid!!?= ä",
        ),
        ("=?utf-8?B?w6TD tsO8?=", "äöü"),
    ],
)
def test_a_b_word_with_characters_base64_never_uses_stays_as_written(
    header: str, expected: str
) -> None:
    """Text that only looks like an encoded word is not decoded into garbage;
    the words around it still decode, and blanks inside a word are allowed."""
    assert _parse("Subject: " + header).subject == expected


def test_encoded_word_split_inside_a_character_is_rejoined() -> None:
    """A UTF-8 character split across two B words comes back whole."""
    data = "Lösung".encode()
    first = base64.b64encode(data[:2]).decode()
    second = base64.b64encode(data[2:]).decode()
    subject = "=?utf-8?B?" + first + "?= =?utf-8?B?" + second + "?="
    assert _parse("Subject: " + subject).subject == "Lösung"


def test_raw_utf8_header_is_read_as_utf8() -> None:
    """A header with raw UTF-8 bytes (RFC 6532) is decoded as UTF-8."""
    mail = _parse("Subject: Drucker im Büro \u2013 defekt")
    assert mail.subject == "Drucker im Büro \u2013 defekt"


def test_raw_8bit_header_that_is_not_utf8_reads_as_windows_1252() -> None:
    """Raw Latin-1 bytes in a header fall back to Windows-1252, no U+FFFD."""
    raw = b"Subject: Caf\xe9 \x93menu\x94\r\nFrom: a@example.com\r\n\r\nx"
    assert parse_mail(raw).mail.subject == "Café “menu”"


def test_display_names_are_decoded() -> None:
    """Encoded display names in From, To and Cc are decoded."""
    mail = _parse(
        "From: =?iso-8859-1?Q?J=F6rg_M=FCller?= <jm@example.com>",
        "To: " + _b("Služba", "utf-8") + " <help@example.org>, b@example.org",
        'Cc: "Smith, Ann" <ann@example.org>',
    )
    assert mail.sender is not None and mail.sender.name == "Jörg Müller"
    assert [a.name for a in mail.to] == ["Služba", ""]
    assert mail.cc[0].name == "Smith, Ann" and mail.cc[0].email == "ann@example.org"


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("=?utf-8?Q?Doe,_J=C3=B6rg?= <jd@example.com>", "Doe, Jörg"),
        ("=?utf-8?Q?J=C3=B6rg_<IT>?= <jd@example.com>", "Jörg <IT>"),
        ("=?iso-8859-1?Q?J\udcf6rg_M\udcfcller?= <jd@example.com>", "Jörg Müller"),
        ("=?windows-1251?Q?\udcc8\udce2\udce0\udced?= <jd@example.com>", "Иван"),
        ("=?utf-8?Q?J=C3=B6rg_M=C3?= <jd@example.com>", "Jörg M"),
    ],
    ids=["comma", "brackets", "raw-latin-1", "raw-cyrillic", "cut-character"],
)
def test_broken_encoded_display_names_decode_without_garbling(
    header: str, name: str
) -> None:
    """Specials, raw bytes or a cut character in a word leave one clean name."""
    mail = _parse("From: " + header)

    assert mail.sender is not None
    assert (mail.sender.email, mail.sender.name) == ("jd@example.com", name)


def test_every_header_is_kept_decoded() -> None:
    """`headers` holds every header, in order, with decoded values."""
    mail = _parse("Subject: =?utf-8?Q?caf=C3=A9?=", "X-Ticket: 42", "X-Ticket: 43")
    assert [(h.name, h.value) for h in mail.headers] == [
        ("Subject", "café"),
        ("X-Ticket", "42"),
        ("X-Ticket", "43"),
    ]


def test_message_ids_are_normalized_with_angle_brackets() -> None:
    """Ids lose white space and keep one pair of angle brackets."""
    mail = _parse(
        "Message-ID: < abc.1@mail.example.com >",
        "In-Reply-To: prev.7@mail.example.com",
        "References: <r1@example.com>\r\n <r2@example.com> <r1@example.com>",
    )
    assert mail.message_id == "<abc.1@mail.example.com>"
    assert mail.in_reply_to == ["<prev.7@mail.example.com>"]
    assert mail.references == ["<r1@example.com>", "<r2@example.com>"]


def test_missing_ids_give_none_and_empty_lists() -> None:
    """A mail without id headers has no message id and no references."""
    mail = _parse("Subject: hi")
    assert (mail.message_id, mail.in_reply_to, mail.references) == (None, [], [])


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Importance: High", "high"),
        ("Importance: low", "low"),
        ("X-Priority: 1 (Highest)", "high"),
        ("X-Priority: 2", "high"),
        ("X-Priority: 3 (Normal)", "normal"),
        ("X-Priority: 5 (Lowest)", "low"),
        ("X-MSMail-Priority: High", "high"),
        ("Priority: urgent", "high"),
        ("Priority: non-urgent", "low"),
        ("X-Mailer: none", "normal"),
    ],
)
def test_importance_comes_from_any_priority_header(header: str, expected: str) -> None:
    """Importance, X-Priority, X-MSMail-Priority and Priority are read."""
    assert _parse(header).importance == expected


def test_date_is_an_aware_datetime() -> None:
    """The Date header becomes a datetime with its offset."""
    mail = _parse("Date: Tue, 01 Dec 2026 09:14:00 +0100")
    offset = timezone(timedelta(hours=1))
    assert mail.date == datetime(2026, 12, 1, 9, 14, tzinfo=offset)


def test_without_date_the_newest_received_date_is_used() -> None:
    """No Date: the newest Received time stamp stands in."""
    mail = _parse(
        "Received: from b.example.org; Thu, 03 Dec 2026 05:12:50 +0000",
        "Received: from a.example.org; Thu, 03 Dec 2026 05:12:44 +0000",
    )
    assert mail.date == datetime(2026, 12, 3, 5, 12, 50, tzinfo=UTC)


def test_unparsable_date_gives_none_and_a_defect() -> None:
    """A garbage Date header gives no date and says so in the defects."""
    mail = _parse("Date: sometime last week")
    assert mail.date is None
    assert any("Date" in defect for defect in mail.defects)


ALTERNATIVE = (
    "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlain text.\r\n"
    "--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Rich <b>text</b></p>\r\n"
    "--b1--\r\n"
)


def test_alternative_gives_plain_text_and_raw_html() -> None:
    """text/plain is the text body; the HTML part is kept raw."""
    mail = _parse(
        'Content-Type: multipart/alternative; boundary="b1"', body=ALTERNATIVE
    )
    assert mail.text_body.strip() == "Plain text."
    assert mail.html_body is not None and "<b>text</b>" in mail.html_body
    assert mail.attachments == []


def test_html_only_mail_gets_readable_text() -> None:
    """With only HTML, the text body is the HTML rendered as text."""
    html = "<html><body><p>First line</p><p>Second &amp; last</p></body></html>"
    mail = _parse("Content-Type: text/html; charset=utf-8", body=html)
    assert mail.text_body == "First line\n\nSecond & last"
    assert mail.html_body == html


def test_html_nested_past_the_parser_limit_keeps_its_text_with_a_defect() -> None:
    """An HTML-only mail 300 levels deep keeps every line, and says why."""
    html = "<div>" * 300 + "Hello there<p>Priority: High</p>"
    mail = _parse("Content-Type: text/html; charset=utf-8", body=html)

    assert [line.strip() for line in mail.text_body.splitlines()] == [
        "Hello there",
        "Priority: High",
    ]
    assert HTML_FLATTENED in mail.defects


def test_html_meta_charset_is_used_when_the_header_has_none() -> None:
    """An HTML part without charset parameter uses its meta charset."""
    html = '<meta charset="koi8-r"><p>' + "Привет" + "</p>"
    mail = _parse("Content-Type: text/html", body=html.encode("koi8-r"))
    assert "Привет" in mail.text_body


@pytest.mark.parametrize(
    ("charset", "data", "expected"),
    [
        ("utf-7", b"Caf+AOk-", "Café"),
        ("utf-16", "Grüße".encode("utf-16"), "Grüße"),
        ("x-unknown-charset", "Grüße".encode(), "Grüße"),
        ("us-ascii", "Grüße".encode("cp1252"), "Grüße"),
        ("utf-8", b"caf\xe9 ok", "café ok"),
        ("ks_c_5601-1987", "안녕하세요".encode("cp949"), "안녕하세요"),
    ],
)
def test_body_charsets_decode_without_raising(
    charset: str, data: bytes, expected: str
) -> None:
    """Odd, unknown and lying charsets still give readable text."""
    mail = _parse("Content-Type: text/plain; charset=" + charset, body=data)
    assert mail.text_body == expected


def test_body_without_charset_is_detected() -> None:
    """A body with no charset at all is detected, not read as ASCII."""
    text = "Добрый день! Принтер на третьем этаже не печатает документы."
    mail = _parse("Content-Type: text/plain", body=text.encode("cp1251"))
    assert mail.text_body == text


RELATED = (
    "--m\r\nContent-Type: multipart/related; boundary=r\r\n\r\n"
    '--r\r\nContent-Type: text/html\r\n\r\n<img src="cid:logo@x">\r\n'
    "--r\r\nContent-Type: image/png; name=logo.png\r\n"
    "Content-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n"
    "--r--\r\n"
    "--m\r\nContent-Type: application/pdf\r\n"
    "Content-Disposition: attachment; filename=quote.pdf\r\n\r\n%PDF\r\n"
    "--m--\r\n"
)


def test_related_image_without_disposition_is_inline() -> None:
    """A Content-ID image in multipart/related is inline, id unbracketed."""
    parsed = parse_mail(_raw("Content-Type: multipart/mixed; boundary=m", body=RELATED))
    image, pdf = parsed.mail.attachments
    assert (image.filename, image.inline, image.content_id) == (
        "logo.png",
        True,
        "logo@x",
    )
    assert image.sha256 == hashlib.sha256(b"hello").hexdigest() and image.size == 5
    assert (pdf.filename, pdf.inline) == ("quote.pdf", False)


def test_attachment_bytes_travel_with_their_description() -> None:
    """`files` pairs each attachment with its decoded bytes."""
    parsed = parse_mail(_raw("Content-Type: multipart/mixed; boundary=m", body=RELATED))
    for item in parsed.files:
        assert hashlib.sha256(item.data).hexdigest() == item.meta.sha256
    assert [f.meta for f in parsed.files] == parsed.mail.attachments


def test_inline_text_file_with_a_name_is_an_attachment() -> None:
    """A text part with a file name is a file, even when shown inline."""
    body = (
        "--m\r\nContent-Type: text/plain\r\n\r\nSee the log.\r\n"
        "--m\r\nContent-Type: text/plain\r\n"
        "Content-Disposition: inline; filename=app.log\r\n\r\nERROR 1\r\n--m--\r\n"
    )
    mail = _parse("Content-Type: multipart/mixed; boundary=m", body=body)
    assert mail.text_body.strip() == "See the log."
    assert [(a.filename, a.inline) for a in mail.attachments] == [("app.log", True)]


FORWARD = (
    "--m\r\nContent-Type: text/plain\r\n\r\nFYI\r\n"
    "--m\r\nContent-Type: message/rfc822\r\n\r\n"
    "From: Ann <ann@example.org>\r\nSubject: Broken: screen / keyboard?\r\n\r\n"
    "Inner text.\r\n--m--\r\n"
)


def test_attached_message_is_kept_as_eml_named_after_its_subject() -> None:
    """message/rfc822 stays one attachment, named by its subject, safely."""
    parsed = parse_mail(_raw("Content-Type: multipart/mixed; boundary=m", body=FORWARD))
    (item,) = parsed.files
    assert item.meta.filename == "Broken_ screen _ keyboard_.eml"
    assert item.meta.content_type == "message/rfc822"
    assert b"Inner text." in item.data and parse_mail(item.data).mail.subject
    assert parsed.mail.text_body.strip() == "FYI"


def _named(*disposition: str, ctype: str = "application/pdf") -> str:
    """Return the stored name of a single attachment with these headers."""
    body = (
        "--m\r\nContent-Type: text/plain\r\n\r\nx\r\n--m\r\n"
        + "Content-Type: " + ctype + "\r\n"
        + "\r\n".join(disposition)
        + "\r\n\r\ndata\r\n--m--\r\n"
    )  # fmt: skip
    mail = _parse("Content-Type: multipart/mixed; boundary=m", body=body)
    return mail.attachments[0].filename


ATTACHMENT_NAMES = [
    (
        [
            "Content-Disposition: attachment;",
            " filename*0*=utf-8''Pr%C3%BCf;",
            " filename*1*=bericht%20Q3.pdf",
        ],
        "Prüfbericht Q3.pdf",
    ),
    (["Content-Disposition: attachment; filename*=iso-8859-1'de'Gr%FC%DFe.pdf"],
     "Grüße.pdf"),
    (['Content-Disposition: attachment; filename="' + _b("Übersicht.pdf", "utf-8")
      + '"'], "Übersicht.pdf"),
    (['Content-Disposition: attachment; filename="=?iso-8859-1?Q?R=E9sum=E9.pdf?="'],
     "Résumé.pdf"),
    (['Content-Disposition: attachment; filename="budget; final (v2).pdf"'],
     "budget; final (v2).pdf"),
    (["Content-Disposition: attachment; filename=../../etc/passwd"], "etc_passwd"),
    (['Content-Disposition: attachment; filename="C:\\Users\\mika\\report.pdf"'],
     "report.pdf"),
    (['Content-Disposition: attachment; filename="in\x07voice\x1b.pdf"'],
     "in_voice_.pdf"),
    (['Content-Disposition: attachment; filename="a<b>c:d|e?.pdf"'], "a_b_c_d_e_.pdf"),
    (['Content-Disposition: attachment; filename="photo\u202egnp.pdf"'],
     "photognp.pdf"),
    (['Content-Disposition: attachment; filename=""'], "attachment-1.pdf"),
    (['Content-Disposition: attachment; filename="..."'], "attachment-1.pdf"),
    (["Content-Disposition: attachment; filename=CON.pdf"], "_CON.pdf"),
    (["Content-Disposition: attachment;", ' filename*0="Quartals";',
      ' filename*1="bericht.xlsx"'], "Quartalsbericht.xlsx"),
    (["Content-Disposition: attachment; filename*=UTF-8''%E6%8A%A5%E5%91%8A.docx"],
     "报告.docx"),
    (['Content-Disposition: attachment; filename="=?utf-8?B?w5w=?='
      ' =?utf-8?B?YmVyc2ljaHQucGRm?="'], "Übersicht.pdf"),
    (['Content-Disposition: attachment; filename="=?windows-1251?B?zvL3uPIucGRm?="'],
     "Отчёт.pdf"),
    (['Content-Disposition: attachment; filename="=?utf-8?Q?a=09b.txt?="'], "a_b.txt"),
    (['Content-Disposition: attachment; filename="report.pdf. "'], "report.pdf"),
]  # fmt: skip


@pytest.mark.parametrize(("headers", "expected"), ATTACHMENT_NAMES)
def test_attachment_names_are_decoded_then_made_safe(
    headers: list[str], expected: str
) -> None:
    """RFC 2231, RFC 2047 and quoted names decode; hostile ones are defused."""
    assert _named(*headers) == expected


def test_name_from_content_type_is_used_without_disposition() -> None:
    """The Content-Type name parameter names a part with no disposition."""
    assert _named(ctype='application/pdf; name="scan 7.pdf"') == "scan 7.pdf"


def test_rfc2231_name_in_content_type_is_decoded() -> None:
    """An RFC 2231 `name*` parameter of Content-Type is decoded too."""
    assert _named(ctype="application/pdf; name*=utf-8''%C3%A9t%C3%A9.pdf") == "été.pdf"


def test_unnamed_parts_get_a_name_from_their_type() -> None:
    """A part without a name becomes `attachment-N.<ext>`."""
    assert _named(ctype="text/calendar") == "attachment-1.ics"
    assert _named(ctype="application/x-custom-thing") == "attachment-1.bin"


def test_duplicate_names_get_a_number_before_the_extension() -> None:
    """Names are unique within one mail: -2, -3 go before the extension."""
    part = "--m\r\nContent-Disposition: attachment; filename=Scan.pdf\r\n\r\nx\r\n"
    body = part * 3 + "--m--\r\n"
    mail = _parse("Content-Type: multipart/mixed; boundary=m", body=body)
    names = [a.filename for a in mail.attachments]
    assert names == ["Scan.pdf", "Scan-2.pdf", "Scan-3.pdf"]


def test_many_copies_of_one_name_count_on_from_the_last_number() -> None:
    """Copies, whatever their case, skip the numbers taken; thousands stay unique."""
    names = unique_filenames(["a.txt", "a-2.txt", "A.TXT", "a.txt", *["b"] * 5000])
    assert names[:4] == ["a.txt", "a-2.txt", "A-3.TXT", "a-4.txt"]
    assert names[-1] == "b-5000" and len(set(names)) == len(names)


def test_long_names_are_cut_and_keep_their_extension() -> None:
    """A very long name is shortened but keeps its extension."""
    name = _named("Content-Disposition: attachment; filename=" + "a" * 400 + ".pdf")
    assert name.endswith("a.pdf") and len(name.encode()) <= 200


def test_multipart_report_gives_its_report_type() -> None:
    """A bounce's content type and report type are exposed."""
    mail = _parse(
        'Content-Type: multipart/report; report-type="delivery-status"; boundary=r',
        body="--r\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n--r--\r\n",
    )
    assert (mail.content_type, mail.report_type) == (
        "multipart/report",
        "delivery-status",
    )


BROKEN = [
    b"",
    b"\r\n\r\n",
    b"no headers at all, just text",
    b"Subject: =?utf-8?B?####?=\r\nFrom: <<<@>>>\r\n\r\nbody",
    b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--y\r\nlost\r\n",
    b"Content-Type: multipart/mixed\r\n\r\nno boundary parameter",
    b"Content-Type: text/plain; charset=base64\r\n\r\nabc",
    b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n!!",
    b"Content-Transfer-Encoding: base64\r\n\r\n=====",
    b'Content-Type: text/plain; charset="\r\nDate: 99 Foo 99999 99:99\r\n\r\n\x00',
    b"From: \xff\xfe\x00\r\nSubject: \x80\x81\x8d\r\n\r\n\xff" * 50,
    b"Content-Type: multipart/mixed; boundary=a\r\n\r\n" + b"--a\r\n" * 3000,
]


def _parses_fully(raw: bytes) -> bool:
    """Tell whether the parser read `raw` without its last-resort fallback."""
    parsed = parse_mail(raw)
    fallback = any(d.startswith("The mail could not") for d in parsed.mail.defects)
    return isinstance(parsed, ParsedMail) and not fallback


@pytest.mark.parametrize("raw", BROKEN)
def test_broken_mail_parses_without_raising(raw: bytes) -> None:
    """Malformed, truncated or junk input still gives a ParsedMail."""
    assert _parses_fully(raw)
    assert "\ufffd" not in parse_mail(raw).mail.subject


def test_missing_boundary_is_reported_as_a_defect() -> None:
    """A multipart whose boundary never appears lists a defect."""
    mail = parse_mail(BROKEN[4]).mail
    assert any("boundary" in defect for defect in mail.defects)


SEED = _raw(
    "From: =?utf-8?Q?J=C3=B6rg?= <j@example.com>",
    "Subject: =?iso-8859-1?Q?Gr=FC=DFe?=",
    "Content-Type: multipart/mixed; boundary=m",
    body=FORWARD + RELATED,
)


@settings(max_examples=300, deadline=None)
@given(
    cuts=st.lists(st.integers(0, len(SEED)), max_size=6),
    junk=st.binary(max_size=64),
)
def test_mutated_mime_never_raises(cuts: list[int], junk: bytes) -> None:
    """Seed mail cut, spliced with junk bytes and reordered still parses."""
    raw = SEED
    for cut in cuts:
        raw = raw[:cut] + junk + raw[cut + len(junk) // 2 :]
    assert _parses_fully(raw)


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=2048))
def test_random_bytes_never_raise(raw: bytes) -> None:
    """Arbitrary bytes give a ParsedMail."""
    assert _parses_fully(raw)


HEADER_NAMES = st.sampled_from(
    ["From", "To", "Cc", "Subject", "Date", "Message-ID", "References",
     "Content-Type", "Content-Disposition", "Content-Transfer-Encoding",
     "Received", "X-Priority", "Importance"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    headers=st.lists(st.tuples(HEADER_NAMES, st.text(max_size=60)), max_size=8),
    body=st.binary(max_size=256),
)
def test_generated_headers_never_raise(
    headers: list[tuple[str, str]], body: bytes
) -> None:
    """Any mix of generated header values and body bytes parses."""
    lines = [name + ": " + value for name, value in headers]
    raw = "\r\n".join(lines).encode("utf-8", "surrogatepass") + b"\r\n\r\n" + body
    assert _parses_fully(raw)


def _alternative(plain: str, html: str) -> bytes:
    """Return a multipart/alternative mail with the given parts."""
    message = EmailMessage()
    message["From"] = "Ada Lindqvist <ada@example.com>"
    message["Subject"] = "Alternatives"
    message.set_content(plain)
    message.add_alternative(html, subtype="html")
    return message.as_bytes()


def test_alternatives_that_agree_keep_the_plain_text_only() -> None:
    """The usual case: the HTML repeats the plain text, which is kept alone."""
    raw = _alternative(
        "The printer on floor 3 jams.\n", "<p>The printer on floor 3 jams.</p>"
    )
    mail = parse_mail(raw).mail
    assert mail.text_body.count("printer") == 1
    assert mail.defects == []


def test_alternatives_that_disagree_keep_both_texts() -> None:
    """An HTML part saying something else is added, with a defect noted."""
    raw = _alternative(
        "See below.\n", "<p>The badge reader at gate B refuses cards.</p>"
    )
    mail = parse_mail(raw).mail
    assert "See below." in mail.text_body
    assert "badge reader at gate B refuses cards" in mail.text_body
    assert "the plain and HTML parts differ; both are kept" in mail.defects
