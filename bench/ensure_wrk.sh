#!/usr/bin/env bash
# Make sure Debian's wrk is installed (the HTTP load generator of make bench).
# Waits for another apt/dpkg run instead of failing on its lock.
set -euo pipefail

if command -v wrk >/dev/null; then
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "wrk is missing: install it as root with: apt-get install -y wrk" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null; then
    echo "wrk is missing and this is not a Debian-like system; install wrk 4.x" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
APT=("${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=900 -o Acquire::Retries=3)

# update the package lists only when apt does not know wrk yet
if ! apt-cache policy wrk 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    echo "==> apt-get update"
    "${APT[@]}" update -q
fi
echo "==> apt-get install wrk"
"${APT[@]}" install -y -q wrk
command -v wrk >/dev/null || { echo "wrk was installed but is not on PATH" >&2; exit 1; }
