#!/bin/sh
# build-upstream-shim: builds libupstream-codecs.so (upstream's QUIC, LZ, GLZ, LZ4 codecs) for bench-codecs.
#
#   tests/bench/build-upstream-shim.sh OUTDIR [SPICE_SOURCE_DIR [SPICE_GTK_SOURCE_DIR]]
#
# Without source dirs it fetches Debian bookworm's `spice` (0.15.1, the library Debian ships as
# libspice-server1: the server's encoders) and `spice-gtk` (0.42, the client's GLZ and LZ4
# decoding) source packages with `apt-get source` into OUTDIR, using a private deb-src list so
# the system's apt configuration is untouched. Nothing fetched is committed.
# The codec files are compiled as Debian builds them (-O2) together with our
# tests/bench/upstream-shim.c (server side) and upstream-shim-client.c (client side); only the
# shims' up_* functions are exported.
set -eu

out=${1:?usage: build-upstream-shim.sh OUTDIR [SPICE_SOURCE_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
src=${2:-}
gtk=${3:-}

apt_dir="$out/apt"
apt_opts="-o Dir::Etc::SourceList=$apt_dir/sources.list -o Dir::Etc::SourceParts=/dev/null
          -o Dir::State::Lists=$apt_dir/lists -o Debug::NoLocking=1"
# Fetches Debian source package $1 (version $2) into OUTDIR, once.
fetch_source() {
    if [ ! -f "$apt_dir/lists/updated" ]; then
        mkdir -p "$apt_dir/lists/partial"
        echo "deb-src http://deb.debian.org/debian bookworm main" > "$apt_dir/sources.list"
        # shellcheck disable=SC2086
        apt-get $apt_opts -qq update
        : > "$apt_dir/lists/updated"
    fi
    # shellcheck disable=SC2086
    (cd "$out" && apt-get $apt_opts -qq source --download-only "$1=$2")
}

if [ -z "$src" ]; then
    src=$(ls -d "$out"/spice-0.15.1 2>/dev/null || true)
fi
if [ -z "$src" ]; then
    fetch_source spice 0.15.1-1
    tar -C "$out" -xjf "$out"/spice_0.15.1.orig.tar.bz2
    src="$out/spice-0.15.1"
fi
if [ -z "$gtk" ]; then
    gtk=$(ls -d "$out"/spice-gtk-0.42 2>/dev/null || true)
fi
if [ -z "$gtk" ]; then
    fetch_source spice-gtk 0.42-1
    tar -C "$out" -xJf "$out"/spice-gtk_0.42.orig.tar.xz
    gtk="$out/spice-gtk-0.42"
fi
common="$src/subprojects/spice-common"
gtk_common="$gtk/subprojects/spice-common"
[ -f "$common/common/quic.c" ] || { echo "no spice-common sources under $src" >&2; exit 1; }
[ -f "$gtk/src/decode-glz.c" ] || { echo "no spice-gtk sources under $gtk" >&2; exit 1; }
# The client's decoders must sit on the same spice-common as the codec files compiled once
# below (quic.c, lz.c): spice 0.15.1 and spice-gtk 0.42 ship the same one.
cmp -s "$common/common/canvas_base.c" "$gtk_common/common/canvas_base.c" &&
    cmp -s "$common/common/lz.c" "$gtk_common/common/lz.c" &&
    cmp -s "$common/common/quic.c" "$gtk_common/common/quic.c" ||
    { echo "spice and spice-gtk carry different spice-common sources" >&2; exit 1; }

# Upstream includes <config.h> and the server's red-common.h: empty stand-ins suffice for the
# codec files (they only need glib and spice-protocol). spice-gtk's decode-glz.c uses its own
# headers; upstream-shim-client.c defines the three functions of spice-gtk it calls (the
# coroutine wait, which never has to wait in the bench, and the debug switch).
stubs="$out/shim-include"
mkdir -p "$stubs"
: > "$stubs/config.h"
cat > "$stubs/red-common.h" <<'H'
#pragma once
#include <glib.h>
#include <spice/macros.h>
#include <common/log.h>
H

pkgs="spice-protocol glib-2.0 pixman-1 liblz4"
base_cflags="-O2 -g -fPIC -fvisibility=hidden -DHAVE_CONFIG_H -w -I$stubs -I$here
             $(pkg-config --cflags $pkgs)"
# Server side: spice's spice-common and server/ (HAVE_LZ4_COMPRESS_FAST_CONTINUE as Debian's
# liblz4 provides it). Client side: spice-gtk's src/ and spice-common, USE_LZ4 as Debian's
# spice-gtk is configured; both from the same common/ files.
server_cflags="$base_cflags -I$common -I$common/common -I$src/server -DHAVE_LZ4_COMPRESS_FAST_CONTINUE"
client_cflags="$base_cflags -I$gtk/src -I$gtk_common -I$gtk_common/common -DUSE_LZ4"
objs="$out/shim-objs"
mkdir -p "$objs"
for f in "$here/upstream-shim.c" "$common/common/quic.c" "$common/common/lz.c" \
         "$src/server/glz-encoder.c" "$src/server/glz-encoder-dict.c" "$src/server/lz4-encoder.c"; do
    # shellcheck disable=SC2086
    cc $server_cflags -c -o "$objs/server-$(basename "$f" .c).o" "$f"
done
for f in "$here/upstream-shim-client.c" "$gtk/src/decode-glz.c" \
         "$gtk_common/common/canvas_utils.c" "$gtk_common/common/mem.c"; do
    # shellcheck disable=SC2086
    cc $client_cflags -c -o "$objs/client-$(basename "$f" .c).o" "$f"
done
# shellcheck disable=SC2086
cc -shared -Wl,-Bsymbolic -Wl,-z,defs -o "$out/libupstream-codecs.so" "$objs"/*.o \
    $(pkg-config --libs $pkgs) -lm
echo "$out/libupstream-codecs.so"
