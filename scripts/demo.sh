#!/usr/bin/env bash
# Set up, then run Mailroom on the bundled sample mailbox (local mailbox,
# local tracker, SQLite queues). Extra arguments go to `mailroom demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/mailroom demo "$@"
