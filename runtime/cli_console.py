"""What every `mailroom` command prints with: one console, one port type."""

from __future__ import annotations

import click
from rich.console import Console

# Subjects, addresses and reasons are printed as they are, never as markup.
console = Console(markup=False)
PORT = click.IntRange(0, 65535)
