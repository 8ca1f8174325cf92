"""Mails shaped like Outlook's when a OneDrive or SharePoint file is shared.

Outlook puts no bytes in such a mail: the HTML body holds an anchor to the
file (often after a file-type icon) whose text is the file name, and the
plain part writes the link as `name<url>`. A reply quotes the whole earlier
mail below a `divRplyFwdMsg` header. People, tenant and files are invented.
"""

from __future__ import annotations

from email.message import EmailMessage

FORECAST_URL = (
    "https://example-my.sharepoint.com/:x:/g/personal/"
    "ada_lindqvist_example_com/EQx7bT2kH1ZPm3RrQ9w0pVIBc4aJ?e=Zk3Wq1"
)
ICON = "https://res.cdn.office.net/assets/mail/file-icon/png/xlsx_16x16.png"
ADA = "Ada Lindqvist <ada.lindqvist@example.com>"
HELPDESK = "IT Helpdesk <helpdesk@example.org>"


def outlook_html(new_text: str, link_url: str, link_name: str) -> str:
    """Return Outlook's HTML of a mail that shares one file as a link."""
    return f"""<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
</head>
<body>
<div class="elementToProof" style="font-family: Aptos, sans-serif;">
{new_text}</div>
<div style="margin:5px 0;">
<a href="{link_url}" data-auth="NotApplicable" title="{link_url}"
 style="text-decoration:none"><img src="{ICON}" width="16" height="16"
 alt="" style="vertical-align:middle"></a>&nbsp;<a href="{link_url}"
 id="OWA8a1f0c3e-57b1-4a7c-9a1d-3e5f2b7c9d10" class="OWAAutoLink"
 data-auth="NotApplicable">{link_name}</a>
</div>
<div class="elementToProof">Kind regards,<br>Ada</div>
</body></html>
"""


def quoted_reply_html(new_text: str, original_html: str) -> str:
    """Return Outlook's HTML of a reply above the quoted original mail."""
    inner = original_html.split("<body>", 1)[1].rsplit("</body>", 1)[0]
    return f"""<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
</head>
<body>
<div class="elementToProof">{new_text}</div>
<div id="appendonsend"></div>
<hr style="display:inline-block;width:98%" tabindex="-1">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif"
 color="#000000" style="font-size:11pt"><b>From:</b> {ADA.replace("<", "&lt;")}
<br><b>Sent:</b> Tuesday, March 3, 2026 09:14<br>
<b>To:</b> IT Helpdesk &lt;helpdesk@example.org&gt;<br>
<b>Subject:</b> Q3 forecast will not open</font>
<div>&nbsp;</div></div>
{inner}
</body></html>
"""


def outlook_mail(
    subject: str,
    html: str,
    plain: str,
    message_id: str,
    in_reply_to: str | None = None,
) -> bytes:
    """Return a multipart/alternative mail from Ada to the helpdesk."""
    message = EmailMessage()
    message["From"] = ADA
    message["To"] = HELPDESK
    message["Subject"] = subject
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(plain)
    message.add_alternative(html, subtype="html")
    return message.as_bytes()


def shared_forecast() -> bytes:
    """Return a new mail that shares the Q3 forecast from OneDrive."""
    html = outlook_html(
        "The shared forecast workbook shows #REF! in every cell since this "
        "morning. I shared it with you:",
        FORECAST_URL,
        "Q3 forecast.xlsx",
    )
    plain = (
        "The shared forecast workbook shows #REF! in every cell since this "
        f"morning. I shared it with you:\n\nQ3 forecast.xlsx<{FORECAST_URL}>\n\n"
        "Kind regards,\nAda\n"
    )
    return outlook_mail(
        "Q3 forecast will not open", html, plain, "<forecast-1@example.com>"
    )


def reply_quoting_forecast(extra_link: tuple[str, str] | None = None) -> bytes:
    """Return Ada's reply quoting the first mail, sharing one more file if set."""
    original = outlook_html(
        "The shared forecast workbook shows #REF! in every cell since this "
        "morning. I shared it with you:",
        FORECAST_URL,
        "Q3 forecast.xlsx",
    )
    new_text = new_plain = "It still fails after the update."
    if extra_link:
        url, name = extra_link
        new_text += f' Here is the log: <a href="{url}">{name}</a>'
        new_plain += f" Here is the log: {name}<{url}>"
    html = quoted_reply_html(new_text, original)
    plain = (
        f"{new_plain}\n\n"
        "________________________________\n"
        f"From: {ADA}\nSent: Tuesday, March 3, 2026 09:14\n"
        "To: IT Helpdesk <helpdesk@example.org>\n"
        "Subject: Q3 forecast will not open\n\n"
        f"I shared it with you:\n\nQ3 forecast.xlsx<{FORECAST_URL}>\n"
    )
    return outlook_mail(
        "RE: Q3 forecast will not open",
        html,
        plain,
        "<forecast-2@example.com>" if not extra_link else "<forecast-3@example.com>",
        in_reply_to="<forecast-1@example.com>",
    )
