#!/usr/bin/env bash
# Make sure a Debian package's program is installed: ensure_debian_package.sh PROGRAM PACKAGE
# (PROGRAM: a command, or the absolute path of a file the package installs)
# (chromium for the browser tests, wrk for make bench). Waits for another apt/dpkg run
# instead of failing on its lock; runs apt-get update only when apt does not know PACKAGE.
set -euo pipefail

PROGRAM=${1:?usage: ensure_debian_package.sh PROGRAM PACKAGE}
PACKAGE=${2:?usage: ensure_debian_package.sh PROGRAM PACKAGE}

# PROGRAM may also be the path of a data file the package installs (a font).
if command -v "$PROGRAM" >/dev/null || [[ -x $PROGRAM ]] || [[ $PROGRAM == /* && -f $PROGRAM ]]; then
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "$PROGRAM is missing: install it as root with: apt-get install -y $PACKAGE" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null; then
    echo "$PROGRAM is missing and this is not a Debian-like system; install $PACKAGE" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
APT=("${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=900 -o Acquire::Retries=3)

if ! apt-cache policy "$PACKAGE" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    echo "==> apt-get update"
    "${APT[@]}" update -q
fi
echo "==> apt-get install $PACKAGE"
"${APT[@]}" install -y -q "$PACKAGE"
command -v "$PROGRAM" >/dev/null || [[ -x $PROGRAM ]] || [[ $PROGRAM == /* && -f $PROGRAM ]] \
    || { echo "$PACKAGE was installed but $PROGRAM is missing" >&2; exit 1; }
