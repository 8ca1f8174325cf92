#!/usr/bin/env bash
# Create .venv beside the repo and install Mailroom into it (with the test
# tools when called with "test"). Safe to run again: when pyproject.toml has
# not changed since the last install, it installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi

extra=""
[ "${1:-}" = "test" ] && extra="[test]"
stamp=".venv/.installed${extra:+-test}"
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  exit 0
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extra}"
echo "$wanted" > "$stamp"
