"""What the Graph adapter costs at import, and in memory after one fetch.

Each measurement runs in a fresh interpreter (this script with --child), so
nothing is loaded before it starts:

- webhook: `import function_app` and `handlers.notifications`, the path
  that must answer Graph within 3 s. It must not load msgraph: the child
  fails if it does.
- ingest: `handlers.ingest` and `adapters.mail.graph`, then one fetch
  through GraphMailbox and the real SDK over an httpx.MockTransport that
  answers as Graph documents (the first call loads the SDK), then a second
  fetch, which shows the steady cost.

Baseline: a bare interpreter. Memory is the peak resident set size of the
child (resource.getrusage), which includes the interpreter's own.

    python bench/graph_imports.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# The children import nothing of Mailroom's before they measure: benchlib
# loads the local host, so only the parent imports it.
REPO = Path(__file__).resolve().parents[1]
HELPDESK = "helpdesk@example.org"
ITEM = "AAMkAGI2bench-item="
SAMPLE = "09-attachments-and-inline-image.eml"
CHILDREN = ("bare", "webhook", "ingest")


def main(argv: list[str] | None = None) -> None:
    """Run each child `--repeats` times and print the median figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", choices=CHILDREN)
    options = parser.parse_args(argv)
    if options.child:
        print(json.dumps(measure(options.child)))
        return

    from benchlib import print_header, print_table

    print_header("graph_imports")
    results = {name: run_children(name, options.repeats) for name in CHILDREN}
    print_table(
        f"Import time and memory, fresh interpreter (median of {options.repeats})",
        ["path", "import s", "first call s", "next call s", "modules", "peak RSS MB"],
        [row(name, results[name]) for name in CHILDREN],
    )
    webhook = results["webhook"]
    print(f"\nmsgraph loaded on the webhook path: {webhook['msgraph']}")


def run_children(name: str, repeats: int) -> dict[str, Any]:
    """Run one child several times; return its median figures."""
    runs = []
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, __file__, "--child", name],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    figures = {key: statistics.median(run[key] for run in runs) for key in NUMBERS}
    return {**figures, "msgraph": any(run["msgraph"] for run in runs)}


NUMBERS = ("import_s", "first_s", "next_s", "modules", "rss_mb")


def row(name: str, figures: dict[str, Any]) -> list[object]:
    """Return one table row."""
    return [name, *(figures[key] for key in NUMBERS)]


def measure(child: str) -> dict[str, Any]:
    """Measure one path in this (fresh) interpreter."""
    sys.path.insert(0, str(REPO))
    started = time.perf_counter()
    if child == "webhook":
        import function_app  # noqa: F401
        import handlers.notifications

        assert "msgraph" not in sys.modules, "the webhook path loaded msgraph"
    if child == "ingest":
        import adapters.mail.graph  # noqa: F401
        import handlers.ingest  # noqa: F401
    imported = time.perf_counter() - started

    first = following = 0.0
    if child == "ingest":
        first, following = fetch_twice()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "import_s": imported,
        "first_s": first,
        "next_s": following,
        "modules": len(sys.modules),
        "rss_mb": peak_kb / 1024,
        "msgraph": "msgraph" in sys.modules,
    }


def fetch_twice() -> tuple[float, float]:
    """Fetch one mail twice through GraphMailbox; return both durations."""
    import httpx
    from azure.core.credentials import AccessToken

    from adapters.mail.graph import GraphMailbox
    from mailroom.config import GraphConfig

    mime = (REPO / "samples" / "mailbox" / SAMPLE).read_bytes()

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/$value"):
            return httpx.Response(200, content=mime)
        facts = {"id": ITEM, "conversationId": "AAQk", "parentFolderId": "AAMk"}
        return httpx.Response(200, json=facts)

    class Credential:
        async def get_token(self, *scopes: str, **options: Any) -> AccessToken:
            return AccessToken("bench", int(time.time()) + 3600)

        async def close(self) -> None:
            return None

    config = GraphConfig(tenant_id="t", client_id="c")
    mailbox = GraphMailbox(
        config,
        "https://mailroom.example.org",
        credential=Credential(),  # type: ignore[arg-type]
        http=lambda: httpx.AsyncClient(transport=httpx.MockTransport(answer)),
    )
    durations = []
    for _ in range(2):
        started = time.perf_counter()
        mailbox.fetch_message(HELPDESK, ITEM)
        durations.append(time.perf_counter() - started)
    mailbox.close()
    return durations[0], durations[1]


if __name__ == "__main__":
    main()
    sys.exit(0)
