"""Signatures and bounce headers: recorded on the mail, not attached."""

from __future__ import annotations

import pytest

from mailroom.mime import parse_mail
from mailroom.mime_unpack import SMIME_UNREADABLE
from mailroom.models import NormalizedMail

HEAD = "From: Lea Novak <lea.novak@example.com>\r\nSubject: VPN drops\r\n"
SIGNED_BODY = (
    "--s1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    "The VPN drops every hour.\r\n"
    "--s1\r\nContent-Type: {ctype}; name={name}\r\n"
    "Content-Disposition: attachment; filename={name}\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\r\n"
    "--s1--\r\n"
)


def _signed(protocol: str, ctype: str, name: str) -> NormalizedMail:
    """Parse a multipart/signed mail whose signature part has this type."""
    head = f'Content-Type: multipart/signed; protocol="{protocol}"; boundary=s1\r\n'
    body = SIGNED_BODY.format(ctype=ctype, name=name)
    return parse_mail((HEAD + head + "\r\n" + body).encode()).mail


def test_smime_signature_is_recorded_not_attached() -> None:
    """smime.p7s is no attachment; the body reads as usual."""
    smime = "application/pkcs7-signature"
    mail = _signed(smime, smime, "smime.p7s")
    assert mail.text_body.strip() == "The VPN drops every hour."
    assert (mail.attachments, mail.signature) == ([], "S/MIME signature (smime.p7s)")


def test_legacy_smime_signature_type_is_recognized() -> None:
    """application/x-pkcs7-signature counts as an S/MIME signature too."""
    legacy = "application/x-pkcs7-signature"
    mail = _signed(legacy, legacy, "smime.p7s")
    assert (mail.attachments, mail.signature) == ([], "S/MIME signature (smime.p7s)")


def test_pgp_signature_is_recorded_not_attached() -> None:
    """A PGP/MIME signature.asc is recorded the same way."""
    pgp = "application/pgp-signature"
    mail = _signed(pgp, pgp, "signature.asc")
    assert (mail.attachments, mail.signature) == ([], "PGP signature (signature.asc)")


def test_signature_outside_multipart_signed_stays_a_file() -> None:
    """A .p7s merely attached to a mixed mail is kept as an ordinary file."""
    raw = SIGNED_BODY.format(ctype="application/pkcs7-signature", name="cert.p7s")
    head = "Content-Type: multipart/mixed; boundary=s1\r\n\r\n"
    mail = parse_mail((HEAD + head + raw).encode()).mail
    assert ([a.filename for a in mail.attachments], mail.signature) == (
        ["cert.p7s"],
        None,
    )


def test_opaque_smime_is_kept_with_a_defect() -> None:
    """application/pkcs7-mime cannot be read: kept as a file, with a defect."""
    ctype = "application/pkcs7-mime; smime-type=enveloped-data"
    head = f'Content-Type: {ctype}; name="smime.p7m"\r\n'
    raw = (
        HEAD
        + head
        + "Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CA\r\n"
    )
    mail = parse_mail(raw.encode()).mail
    assert [a.filename for a in mail.attachments] == ["smime.p7m"]
    assert mail.defects == [SMIME_UNREADABLE]
    assert (
        "encrypted or opaque s/mime content cannot be read" in SMIME_UNREADABLE.lower()
    )


DSN = (
    "From: Mail Delivery System <mailer-daemon@mx.example.org>\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    'Content-Type: multipart/report; report-type=delivery-status; boundary="r1"\r\n\r\n'
    "--r1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
    "--r1\r\nContent-Type: message/delivery-status\r\n\r\n"
    "Reporting-MTA: dns; mx.example.org\r\n\r\n"
    "Final-Recipient: rfc822; gone@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    "--r1\r\nContent-Type: {returned}\r\n\r\n"
    "From: support@example.org\r\nTo: gone@example.net\r\n"
    "Subject: [HELP-12] Your request\r\n"
    "Message-ID: <ack.12.7f3a@mailroom.example.org>\r\n{tail}"
    "--r1--\r\n"
)


@pytest.mark.parametrize("returned", ["text/rfc822-headers", "message/global-headers"])
def test_returned_headers_give_the_bounced_message_id(returned: str) -> None:
    """Returned headers yield the Message-ID; they are no attachment."""
    raw = DSN.format(returned=returned, tail="\r\n")
    mail = parse_mail(raw.encode()).mail
    assert mail.returned_message_ids == ["<ack.12.7f3a@mailroom.example.org>"]
    assert [a.filename for a in mail.attachments] == ["attachment-1.txt"]


def test_returned_message_gives_the_bounced_message_id() -> None:
    """A whole returned message/rfc822 yields its Message-ID, unattached."""
    raw = DSN.format(returned="message/rfc822", tail="\r\nWe opened HELP-12.\r\n")
    mail = parse_mail(raw.encode()).mail
    assert mail.returned_message_ids == ["<ack.12.7f3a@mailroom.example.org>"]
    assert (len(mail.attachments), mail.related) == (1, [])


def test_rfc822_outside_a_report_gives_no_returned_id() -> None:
    """A forwarded mail is a related item, not a bounce."""
    raw = DSN.format(returned="message/rfc822", tail="\r\nhi\r\n")
    mail = parse_mail(raw.replace("multipart/report", "multipart/mixed").encode()).mail
    assert mail.returned_message_ids == []
    assert [item.subject for item in mail.related] == ["[HELP-12] Your request"]


READ_RECEIPT = (
    "From: Ann Lee <ann.lee@example.com>\r\nTo: support@example.org\r\n"
    "Subject: Read: [HELP-12] Your request\r\nMessage-ID: <mdn.1@example.com>\r\n"
    "Content-Type: multipart/report; report-type={report}; "
    'boundary="m1"\r\n\r\n'
    "--m1\r\nContent-Type: text/plain\r\n\r\nYour message was displayed.\r\n"
    "--m1\r\nContent-Type: message/{report}\r\n\r\n"
    "Reporting-UA: mail.example.com; Example Mail 2.1\r\n"
    "Final-Recipient: rfc822; ann.lee@example.com\r\n"
    "Original-Message-ID: <ack.12.7f3a@mailroom.example.org>\r\n"
    "Disposition: manual-action/MDN-sent-manually; displayed\r\n"
    "--m1--\r\n"
)


@pytest.mark.parametrize(
    "report", ["disposition-notification", "global-disposition-notification"]
)
def test_read_receipt_gives_its_original_message_id(report: str) -> None:
    """An MDN's Original-Message-ID (RFC 8098, RFC 6533) names the read mail."""
    raw = READ_RECEIPT.format(report=report)

    mail = parse_mail(raw.encode()).mail

    assert mail.returned_message_ids == ["<ack.12.7f3a@mailroom.example.org>"]


DELIVERY_REPORT = (
    "From: Mail Delivery System <mailer-daemon@mx.example.org>\r\n"
    "Subject: Delivery Status Notification (Failure)\r\n"
    "Content-Type: multipart/report; report-type=delivery-status; "
    'boundary="d1"\r\n\r\n'
    "--d1\r\nContent-Type: text/plain\r\n\r\nDelivery has failed.\r\n"
    "--d1\r\nContent-Type: message/delivery-status\r\n\r\n"
    "Reporting-MTA: dns; mx.example.org\r\nOriginal-Envelope-Id: {envelope_id}\r\n"
    "\r\nFinal-Recipient: rfc822; gone@example.net\r\nAction: failed\r\n"
    "Status: 5.1.1\r\n"
    "--d1--\r\n"
)


@pytest.mark.parametrize(
    ("envelope_id", "ids"),
    [
        ("<ack.12@mailroom.example.org>", ["<ack.12@mailroom.example.org>"]),
        ("QQ314159", []),
    ],
)
def test_delivery_report_envelope_id_counts_when_it_is_a_message_id(
    envelope_id: str, ids: list[str]
) -> None:
    """A DSN's Original-Envelope-Id (RFC 3464) names the mail if it is an id."""
    raw = DELIVERY_REPORT.format(envelope_id=envelope_id)

    mail = parse_mail(raw.encode()).mail

    assert mail.returned_message_ids == ids
