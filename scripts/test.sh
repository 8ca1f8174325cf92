#!/usr/bin/env bash
# Set up, install what the tests need (Chromium for the ticket page), and run
# the whole suite, slow tests included. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test

# Azurite, the Azure Storage emulator, for tests/adapters/azure (their
# fixture starts and stops it). Installed once into .azurite/, kept out of git.
if [ ! -x .azurite/node_modules/.bin/azurite ]; then
  if ! command -v npm >/dev/null; then
    echo "The Azure Storage tests need Azurite from npm; install Node.js and" >&2
    echo "npm (Debian's 'nodejs' and 'npm' packages) and run again." >&2
    exit 1
  fi
  echo "installing Azurite from npm into .azurite/"
  mkdir -p .azurite
  printf '*\n' > .azurite/.gitignore
  npm install --prefix .azurite --no-audit --no-fund --silent azurite@3
fi

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
