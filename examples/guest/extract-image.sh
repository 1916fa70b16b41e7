#!/bin/sh
# Writes the kernel Image inside an ARM zImage: the xz stream after the zImage's second FD 37 7A 58 5A 00 magic (the
# first belongs to the decompressor's own code). Booting the Image skips the decompressor (2 G instructions of the
# 3.4 G to /init for Debian's kernels). Usage: extract-image.sh ZIMAGE IMAGE (IMAGE written atomically).
set -eu
zimage=$1 image=$2
magic=$(printf '\3757zXZ')
offset=$(grep -abo "$magic" "$zimage" | sed -n 2p | cut -d: -f1 || true)
[ -n "$offset" ] || offset=$(grep -abo "$magic" "$zimage" | head -n 1 | cut -d: -f1 || true)
[ -n "$offset" ] || { echo "extract-image.sh: $zimage holds no xz stream" >&2; exit 1; }
tail -c +$((offset + 1)) "$zimage" | xz -dc --single-stream > "$image.tmp" 2>/dev/null || true
[ -s "$image.tmp" ] || { rm -f "$image.tmp"; echo "extract-image.sh: the xz stream at $offset of $zimage does not decompress" >&2; exit 1; }
mv "$image.tmp" "$image"
