#!/bin/sh
# Fetches the vmlinux with DWARF (and the full System.map) of the kernel fetch.sh fetched, from Debian's
# linux-image-*-armmp-lpae-dbg:armhf (a 620 MB download, 2.7 GB unpacked: only the two files are kept), into
# .cache/guest/dbg/: `symbols` for a kernel session with source lines. Not needed by CI.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
boot="$root/.cache/guest/boot"
out="$root/.cache/guest/dbg"
kernel_deb=$(ls "$boot"/debs/linux-image-*-armmp-lpae_*.deb 2>/dev/null | head -n 1 || true)
[ -n "$kernel_deb" ] || { echo "fetch-vmlinux.sh: run examples/guest/fetch.sh first" >&2; exit 1; }
package=$(dpkg-deb -f "$kernel_deb" Package)
version=$(dpkg-deb -f "$kernel_deb" Version)
release=${package#linux-image-}
if [ -s "$out/vmlinux-$release" ] && [ -s "$out/System.map-$release" ]; then
  echo "cached: $out/vmlinux-$release"
  exit 0
fi
mkdir -p "$out"
work=$(mktemp -d "$out/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q "$package-dbg:armhf=$version")
# The two files come first in the package: tar stops after them (the rest is the modules' debug files).
dpkg-deb --fsys-tarfile "$work"/*.deb 2>/dev/null | tar -x -C "$work" --occurrence=1 \
  "./usr/lib/debug/boot/vmlinux-$release" "./usr/lib/debug/boot/System.map-$release" || true
mv "$work/usr/lib/debug/boot/vmlinux-$release" "$work/usr/lib/debug/boot/System.map-$release" "$out/"
echo "vmlinux:    $out/vmlinux-$release"
echo "System.map: $out/System.map-$release"
