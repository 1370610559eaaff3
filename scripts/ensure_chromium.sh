#!/usr/bin/env bash
# Make sure Debian's chromium is installed at /usr/bin/chromium (used by the Playwright tests).
# Waits for another apt/dpkg run instead of failing on its lock.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [[ -x $CHROMIUM ]]; then
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "chromium is missing: install it as root with: apt-get install -y chromium" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null; then
    echo "chromium is missing and this is not a Debian-like system; install chromium at $CHROMIUM" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
APT=("${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=900 -o Acquire::Retries=3)

# update the package lists only when apt does not know chromium yet
if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    echo "==> apt-get update"
    "${APT[@]}" update -q
fi
echo "==> apt-get install chromium"
"${APT[@]}" install -y -q chromium
[[ -x $CHROMIUM ]] || { echo "chromium was installed but $CHROMIUM is missing" >&2; exit 1; }
