#!/usr/bin/env bash
# Install what prezero needs on Debian/Ubuntu when it is missing: libzstd-dev and
# libtracecmd-dev (with libtraceevent-dev and libtracefs-dev: trace.dat), zstd, pkg-config,
# GNU time and python3 (used by the tests). Safe to run again.
set -euo pipefail
missing=()
pkg-config --exists libzstd 2>/dev/null || missing+=(libzstd-dev)
pkg-config --exists libtracecmd 2>/dev/null || missing+=(libtracecmd-dev libtraceevent-dev libtracefs-dev)
command -v zstd >/dev/null || missing+=(zstd)
command -v pkg-config >/dev/null || missing+=(pkg-config)
[ -x /usr/bin/time ] || missing+=(time)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    echo "installing: ${missing[*]}" >&2
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${missing[@]}"
fi
