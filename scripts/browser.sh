#!/usr/bin/env bash
# What the browser tests (tests/browser) need, for scripts/test.sh and CI:
# Debian's Chromium and its matching chromedriver, Japanese fonts for the
# screenshots, and axe-core from the npm registry (package-lock.json).
# Installs missing packages with apt-get when run as root; npm only unpacks
# axe-core (no install scripts, no browser downloads).
# Exits 0 when everything is in place, 1 when something is missing and
# cannot be installed here (the caller decides whether to skip).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)
command -v npm >/dev/null || missing+=(npm)

if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "browser.sh: missing ${missing[*]} (run as root to install them)" >&2
        exit 1
    fi
    echo "browser.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if [ ! -f node_modules/axe-core/axe.min.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --ignore-scripts --no-audit --no-fund >&2
fi
