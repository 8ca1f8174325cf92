"""Attachments that hold more: winmail.dat, .msg, .eml, S/MIME and bounces."""

from __future__ import annotations

import base64

from hypothesis import given, settings
from hypothesis import strategies as st

from mailroom.mime import parse_mail
from mailroom.mime_unpack import MSG_UNREADABLE, TNEF_UNREADABLE
from mailroom.models import Address, ParsedMail
from tests.domain.attachment_samples import outlook_msg, tnef_stream

HEAD = (
    "From: Jonas Weber <jonas.weber@example.com>\r\n"
    "To: support@example.org\r\nSubject: Scanner error\r\n"
    "Message-ID: <outer.1@mail.example.com>\r\n"
)
TEXT = "Content-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n"


def _file(content_type: str, data: bytes, name: str | None = None) -> str:
    """Return one base64 attachment part."""
    disposition = "attachment" + (f'; filename="{name}"' if name else "")
    return (
        f"Content-Type: {content_type}\r\nContent-Disposition: {disposition}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(data).decode().replace("\n", "\r\n")
    )


def _mixed(*parts: str, subtype: str = "mixed", params: str = "") -> bytes:
    """Return a whole mail whose body is a multipart of `parts`."""
    body = "".join("--b0\r\n" + part + "\r\n" for part in parts) + "--b0--\r\n"
    head = f'Content-Type: multipart/{subtype}; boundary="b0"{params}\r\n'
    return (HEAD + head + "\r\n" + body).encode()


def _names(parsed: ParsedMail) -> list[str]:
    """Return the attachment names of a parsed mail."""
    return [item.filename for item in parsed.mail.attachments]


WINMAIL = tnef_stream(
    body=b"Error E-204 since Monday.\r\n",
    files=[("scan log.txt", b"E-204 07:12"), ("settings.xml", b"<s/>")],
)


def test_winmail_dat_is_replaced_by_its_files() -> None:
    """The files inside winmail.dat become attachments; it goes away."""
    parsed = parse_mail(
        _mixed(TEXT, _file("application/ms-tnef", WINMAIL, "winmail.dat"))
    )
    assert _names(parsed) == ["scan log.txt", "settings.xml"]
    assert parsed.files[0].data == b"E-204 07:12"
    assert parsed.mail.attachments[1].content_type == "application/xml"
    assert parsed.mail.text_body.strip() == "See attached."


def test_tnef_body_is_the_text_of_a_mail_without_other_text() -> None:
    """A mail that is only a winmail.dat reads its body from the TNEF."""
    parsed = parse_mail(_mixed(_file("application/vnd.ms-tnef", WINMAIL)))
    assert parsed.mail.text_body == "Error E-204 since Monday.\n"
    assert parsed.mail.defects == []


def test_tnef_file_names_stay_unique_beside_other_files() -> None:
    """A file unpacked under a name the mail already uses gets a number."""
    other = _file("text/plain", b"other", "scan log.txt")
    winmail = _file("application/ms-tnef", WINMAIL, "winmail.dat")
    parsed = parse_mail(_mixed(TEXT, other, winmail))
    assert _names(parsed) == ["scan log.txt", "scan log-2.txt", "settings.xml"]


def test_unreadable_winmail_dat_is_kept_with_a_defect() -> None:
    """A winmail.dat that cannot be unpacked stays attached and is reported."""
    broken = _file("application/ms-tnef", b"not tnef at all", "winmail.dat")
    parsed = parse_mail(_mixed(TEXT, broken))
    assert _names(parsed) == ["winmail.dat"]
    assert parsed.mail.defects == [TNEF_UNREADABLE]


MSG = outlook_msg(
    subject="Dock door 5 jammed",
    sender="Ana Ruiz",
    address="ana.ruiz@example.com",
    body="The door stops half way.\r\n",
    files={"door.jpg": b"\xff\xd8 jpeg"},
)


def test_attached_msg_stays_attached_and_becomes_a_related_item() -> None:
    """An Outlook .msg is kept as a file and read as a related item."""
    msg = _file("application/vnd.ms-outlook", MSG, "Dock door 5 jammed.msg")
    parsed = parse_mail(_mixed(TEXT, msg))
    (item,) = parsed.mail.related
    assert _names(parsed) == ["Dock door 5 jammed.msg"]
    assert (item.subject, item.source_filename) == (
        "Dock door 5 jammed",
        "Dock door 5 jammed.msg",
    )
    assert item.sender == Address(email="ana.ruiz@example.com", name="Ana Ruiz")
    assert (item.text, item.attachment_names) == (
        "The door stops half way.\n",
        ["door.jpg"],
    )


def test_msg_is_recognized_by_its_name_alone() -> None:
    """A .msg sent as application/octet-stream is read all the same."""
    parsed = parse_mail(_mixed(TEXT, _file("application/octet-stream", MSG, "fw.msg")))
    assert [item.subject for item in parsed.mail.related] == ["Dock door 5 jammed"]


def test_unreadable_msg_is_kept_with_a_defect() -> None:
    """A .msg that cannot be read stays attached and is reported."""
    parsed = parse_mail(
        _mixed(TEXT, _file("application/vnd.ms-outlook", b"junk", "a.msg"))
    )
    assert (_names(parsed), parsed.mail.related) == (["a.msg"], [])
    assert parsed.mail.defects == [MSG_UNREADABLE]


INNER = (
    "From: Priya Nair <priya.nair@example.net>\r\nSubject: Badge not working\r\n"
    "Content-Type: multipart/mixed; boundary=in\r\n\r\n"
    "--in\r\nContent-Type: text/plain\r\n\r\nMy badge stopped at gate 2.\r\n"
    "--in\r\nContent-Type: image/png; name=badge.png\r\n\r\npng\r\n--in--\r\n"
)


def test_attached_eml_stays_attached_and_becomes_a_related_item() -> None:
    """message/rfc822 is kept as .eml and parsed into a related item."""
    parsed = parse_mail(_mixed(TEXT, "Content-Type: message/rfc822\r\n\r\n" + INNER))
    (item,) = parsed.mail.related
    assert _names(parsed) == ["Badge not working.eml"]
    assert item.sender == Address(email="priya.nair@example.net", name="Priya Nair")
    assert item.text.strip() == "My badge stopped at gate 2."
    assert item.attachment_names == ["badge.png"]


def _nested(depth: int) -> bytes:
    """Return a mail that forwards a mail that forwards ... `depth` times."""
    raw = b"Subject: level 0\r\n\r\nbottom\r\n"
    for level in range(1, depth + 1):
        ctype = f"Content-Type: multipart/mixed; boundary=n{level}\r\n\r\n"
        head = f"Subject: level {level}\r\n" + ctype
        part = f"--n{level}\r\nContent-Type: message/rfc822\r\n\r\n".encode()
        raw = head.encode() + part + raw + f"\r\n--n{level}--\r\n".encode()
    return raw


def test_nested_attached_mail_is_read_to_a_limited_depth() -> None:
    """Forwards inside forwards parse, each level reading only a few below."""
    parsed = parse_mail(_nested(40))
    assert [item.subject for item in parsed.mail.related] == ["level 39"]
    assert not any(d.startswith("The mail could not") for d in parsed.mail.defects)


@settings(max_examples=150, deadline=None)
@given(
    container=st.sampled_from([WINMAIL, MSG]),
    cut=st.integers(0, 5000),
    junk=st.binary(max_size=32),
)
def test_mutated_containers_never_break_the_parse(
    container: bytes, cut: int, junk: bytes
) -> None:
    """A cut or spliced winmail.dat or .msg still gives a whole parse."""
    data = container[:cut] + junk + container[cut + len(junk) :]
    name = "winmail.dat" if container is WINMAIL else "fw.msg"
    parsed = parse_mail(_mixed(TEXT, _file("application/octet-stream", data, name)))
    assert not any(d.startswith("The mail could not") for d in parsed.mail.defects)
    assert parsed.mail.attachments or parsed.mail.defects == []
