#!/bin/sh
# build-upstream-shim: builds libupstream-codecs.so (upstream's QUIC, LZ, GLZ codecs) for bench-codecs.
#
#   tests/bench/build-upstream-shim.sh OUTDIR [SPICE_SOURCE_DIR]
#
# Without SPICE_SOURCE_DIR it fetches Debian bookworm's `spice` source package (0.15.1, the
# library Debian ships as libspice-server1) with `apt-get source` into OUTDIR, using a private
# deb-src list so the system's apt configuration is untouched. Nothing fetched is committed.
# The codec files are compiled as Debian builds them (-O2) together with our
# tests/bench/upstream-shim.c; only the shim's up_* functions are exported.
set -eu

out=${1:?usage: build-upstream-shim.sh OUTDIR [SPICE_SOURCE_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
src=${2:-}

if [ -z "$src" ]; then
    src=$(ls -d "$out"/spice-0.15.1 2>/dev/null || true)
fi
if [ -z "$src" ]; then
    apt_dir="$out/apt"
    mkdir -p "$apt_dir/lists/partial"
    echo "deb-src http://deb.debian.org/debian bookworm main" > "$apt_dir/sources.list"
    apt_opts="-o Dir::Etc::SourceList=$apt_dir/sources.list -o Dir::Etc::SourceParts=/dev/null
              -o Dir::State::Lists=$apt_dir/lists -o Debug::NoLocking=1"
    # shellcheck disable=SC2086
    apt-get $apt_opts -qq update
    # shellcheck disable=SC2086
    (cd "$out" && apt-get $apt_opts -qq source --download-only spice=0.15.1-1)
    tar -C "$out" -xjf "$out"/spice_0.15.1.orig.tar.bz2
    src="$out/spice-0.15.1"
fi
common="$src/subprojects/spice-common"
[ -f "$common/common/quic.c" ] || { echo "no spice-common sources under $src" >&2; exit 1; }

# Upstream includes <config.h> and the server's red-common.h: empty stand-ins suffice for the
# codec files (they only need glib and spice-protocol).
stubs="$out/shim-include"
mkdir -p "$stubs"
: > "$stubs/config.h"
cat > "$stubs/red-common.h" <<'H'
#pragma once
#include <glib.h>
#include <spice/macros.h>
#include <common/log.h>
H

cflags="-O2 -g -fPIC -fvisibility=hidden -DHAVE_CONFIG_H -w
        -I$stubs -I$common -I$common/common -I$src/server -I$here
        $(pkg-config --cflags spice-protocol glib-2.0)"
# shellcheck disable=SC2086
cc $cflags -shared -Wl,-Bsymbolic -o "$out/libupstream-codecs.so" \
    "$here/upstream-shim.c" "$common/common/quic.c" "$common/common/lz.c" \
    "$src/server/glz-encoder.c" "$src/server/glz-encoder-dict.c" \
    $(pkg-config --libs glib-2.0)
echo "$out/libupstream-codecs.so"
