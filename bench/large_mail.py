"""What a large mail costs in memory: read whole, or streamed to blob storage.

Each mode runs in a fresh interpreter (this script with --child). The mail
is made on the fly by the fake Graph's response stream, so it never sits
in the child's memory before the fetch: a text body, one file of `--mb`
megabytes (base64, as mail carries it) and one small file.

- memory: GraphMailbox without blob storage reads the MIME whole, then
  parse_mail and the attachment limits run on it (the baseline).
- stream: GraphMailbox with a blob folder streams the mail into it and
  keeps the skeleton; parse_mail and the limits run on the skeleton.

The figure is the growth of the child's peak resident set size during the
fetch and parse, over its peak once the modules are loaded and one small
mail was fetched.

    python bench/large_mail.py [--mb 100]
"""

from __future__ import annotations

import argparse
import base64
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HELPDESK = "helpdesk@example.org"
MODES = ("memory", "stream")
LINE = base64.b64encode(bytes(range(57)))  # 76 characters, as MIME writes them


def main(argv: list[str] | None = None) -> None:
    """Run each mode in a child and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--child", choices=MODES)
    options = parser.parse_args(argv)
    if options.child:
        print(json.dumps(measure(options.child, options.mb)))
        return

    from benchlib import print_header, print_table

    print_header("large_mail")
    results = {mode: run_child(mode, options.mb) for mode in MODES}
    baseline = results["memory"]["growth_mb"]
    print_table(
        f"Fetch and parse of one {options.mb} MB mail, fresh interpreter",
        ["mode", "seconds", "peak RSS growth MB", "ratio to memory", "skeleton KB"],
        [
            [
                mode,
                results[mode]["seconds"],
                results[mode]["growth_mb"],
                results[mode]["growth_mb"] / baseline if baseline else 0.0,
                results[mode]["skeleton_kb"],
            ]
            for mode in MODES
        ],
    )


def run_child(mode: str, mb: int) -> dict[str, Any]:
    """Run one mode in a fresh interpreter and return its figures."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--mb", str(mb)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(mode: str, mb: int) -> dict[str, Any]:
    """Fetch and parse a small mail, then the large one; return the figures."""
    sys.path.insert(0, str(REPO))
    from mailroom.attachments import apply_limits
    from mailroom.config import AttachmentConfig
    from mailroom.mime import parse_mail

    with tempfile.TemporaryDirectory() as folder:
        mailbox = build_mailbox(mode, Path(folder))
        mailbox.fetch_message(HELPDESK, "small")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        started = time.perf_counter()
        fetched = mailbox.fetch_message(HELPDESK, f"large-{mb}")
        parsed = parse_mail(fetched.raw, fetched.left_off_token)
        apply_limits(parsed, AttachmentConfig())
        seconds = time.perf_counter() - started
        mailbox.close()

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": seconds,
        "growth_mb": (peak - before) / 1024,
        "skeleton_kb": len(fetched.raw) / 1024,
    }


def build_mailbox(mode: str, folder: Path) -> Any:
    """Return a GraphMailbox over a fake Graph that makes mail as it sends."""
    import httpx
    from azure.core.credentials import AccessToken

    from adapters.blobs.folder import FolderBlobs
    from adapters.mail.graph import GraphMailbox
    from mailroom.config import GraphConfig

    class MadeMail(httpx.AsyncByteStream):
        def __init__(self, megabytes: int) -> None:
            self._lines = megabytes * 1024 * 1024 // 57

        async def __aiter__(self) -> AsyncIterator[bytes]:
            for chunk in mail_chunks(self._lines):
                yield chunk

    def answer(request: httpx.Request) -> httpx.Response:
        item = request.url.path.split("/")[-2]
        size = int(item.removeprefix("large-")) if item != "small" else 0
        return httpx.Response(200, stream=MadeMail(size))

    class Credential:
        async def get_token(self, *scopes: str, **options: Any) -> AccessToken:
            return AccessToken("bench", int(time.time()) + 3600)

        async def close(self) -> None:
            return None

    blobs = FolderBlobs(folder) if mode == "stream" else None
    return GraphMailbox(
        GraphConfig(tenant_id="t", client_id="c"),
        "https://mailroom.example.org",
        credential=Credential(),  # type: ignore[arg-type]
        http=lambda: httpx.AsyncClient(transport=httpx.MockTransport(answer)),
        blobs=blobs,
    )


def mail_chunks(lines: int) -> Iterator[bytes]:
    """Yield the mail in chunks of about 64 KB: headers, text, files."""
    yield (
        b"From: Iris Fenwick <iris@example.com>\r\nTo: helpdesk@example.org\r\n"
        b"Subject: Crash dump\r\nMessage-ID: <dump@example.com>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain\r\n\r\nThe agent crashed.\r\n"
        b"--b1\r\nContent-Type: application/octet-stream; name=agent.dmp\r\n"
        b"Content-Disposition: attachment; filename=agent.dmp\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
    )
    block = (LINE + b"\r\n") * 840
    for _ in range(lines // 840):
        yield block
    yield (LINE + b"\r\n") * (lines % 840)
    yield (
        b"--b1\r\nContent-Type: text/plain; name=agent.log\r\n"
        b"Content-Disposition: attachment; filename=agent.log\r\n\r\n"
        b"09:12 fatal\r\n--b1--\r\n"
    )


if __name__ == "__main__":
    main()
    sys.exit(0)
