#!/usr/bin/env bash
# Set up, install what the tests need (Chromium for the ticket page), and run
# the whole suite, slow tests included. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "installing Debian's chromium and chromium-driver for the page tests"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "The page tests need chromium and chromedriver; install Debian's" >&2
    echo "'chromium' and 'chromium-driver' packages (as root) and run again." >&2
    exit 1
  fi
fi

exec .venv/bin/python -m pytest -m "" -p no:cacheprovider "$@"
