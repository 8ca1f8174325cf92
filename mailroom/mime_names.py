"""Attachment file names: made safe to store, unique in a mail, never empty."""

from __future__ import annotations

import re
import unicodedata

_ABSOLUTE_PATH = re.compile(r"^(?:/|[A-Za-z]:/)")
_RESERVED = set('<>:"/\\|?*')
_DEVICE_NAMES = {"con", "prn", "aux", "nul"} | {
    prefix + str(number) for prefix in ("com", "lpt") for number in range(10)
}
_MAX_NAME_BYTES = 200
_EXTENSIONS = {
    "application/octet-stream": "bin",
    "application/pgp-signature": "asc",
    "application/pkcs7-signature": "p7s",
    "application/x-pkcs7-signature": "p7s",
    "application/pkcs7-mime": "p7m",
    "application/x-pkcs7-mime": "p7m",
    "application/ms-tnef": "dat",
    "application/vnd.ms-tnef": "dat",
    "application/vnd.ms-outlook": "msg",
    "image/jpeg": "jpg",
    "image/svg+xml": "svg",
    "message/rfc822": "eml",
    "message/delivery-status": "txt",
    "message/disposition-notification": "txt",
    "text/plain": "txt",
    "text/calendar": "ics",
    "text/enriched": "txt",
    "text/markdown": "md",
}
_TYPES_BY_EXTENSION = {
    "csv": "text/csv",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "eml": "message/rfc822",
    "gif": "image/gif",
    "htm": "text/html",
    "html": "text/html",
    "ics": "text/calendar",
    "jpeg": "image/jpeg",
    "jpg": "image/jpeg",
    "log": "text/plain",
    "msg": "application/vnd.ms-outlook",
    "pdf": "application/pdf",
    "png": "image/png",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "rtf": "application/rtf",
    "txt": "text/plain",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xml": "application/xml",
    "zip": "application/zip",
}


def safe_filename(name: str) -> str:
    """Return `name` safe to store on any file system; '' if nothing is left.

    A client's absolute path keeps only its base name; the separators of a
    relative one become `_`, so no name can leave its folder.
    """
    path = unicodedata.normalize("NFC", name).replace("\\", "/")
    if _ABSOLUTE_PATH.match(path):
        path = path.rsplit("/", 1)[-1]
    segments = [segment for segment in path.split("/") if segment]
    while segments and not segments[0].strip(" ."):
        segments.pop(0)

    flat = "".join(_safe_char(char) for char in "_".join(segments)).strip(" .")
    if flat.split(".")[0].lower() in _DEVICE_NAMES:
        flat = "_" + flat
    return _shorten(flat)


def _safe_char(char: str) -> str:
    """Replace a reserved or control character; drop invisible ones."""
    if char in _RESERVED:
        return "_"
    category = unicodedata.category(char)
    if category in ("Cc", "Zl", "Zp"):
        return "_"
    return "" if category in ("Cf", "Cs", "Co", "Cn") else char


def _shorten(name: str) -> str:
    """Cut a long name to the byte limit, keeping its extension."""
    if len(name.encode()) <= _MAX_NAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 16:
        stem, extension = name, ""
    budget = _MAX_NAME_BYTES - len(extension.encode()) - 1
    stem = stem.encode()[:budget].decode("utf-8", "ignore")
    return stem + "." + extension if extension else stem


def fallback_filename(index: int, content_type: str) -> str:
    """Return `attachment-N.<ext>` for a part that names no file."""
    subtype = content_type.partition("/")[2]
    extension = _EXTENSIONS.get(content_type)
    if extension is None:
        extension = subtype if re.fullmatch(r"[a-z0-9]{1,8}", subtype) else "bin"
    return "attachment-" + str(index) + "." + extension


def unique_filenames(names: list[str]) -> list[str]:
    """Make names unique in one mail: `-2`, `-3` go before the extension."""
    seen: set[str] = set()
    # The last number tried per name: a thousand copies of one name would
    # otherwise each count up from 2 again.
    tried: dict[str, int] = {}
    unique: list[str] = []
    for name in names:
        candidate, number = name, tried.get(name.lower(), 1)
        while candidate.lower() in seen:
            number += 1
            stem, dot, extension = name.rpartition(".")
            candidate = f"{stem}-{number}.{extension}" if dot else f"{name}-{number}"
        tried[name.lower()] = number
        seen.add(candidate.lower())
        unique.append(candidate)
    return unique


def content_type_for(filename: str) -> str:
    """Guess a file's content type from its extension, for unpacked files.

    A fixed table rather than `mimetypes`, which reads the host's files.
    """
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    return _TYPES_BY_EXTENSION.get(extension, "application/octet-stream")
