#!/bin/bash
# Builds the modules the guest of Test Case 2 on dmalab needs for the Debian 6.1 kernel that fetch.sh fetched, out of
# tree against that kernel's own linux-headers as Debian builds its modules: dmatest.ko (from linux-source-6.1;
# Debian ships no DMATEST) and dma_outside.ko (examples/guest/dma-outside/: a dmaengine copy outside the guest's RAM,
# the isolation check). Neither has a device table, so linux-kbuild's own modpost will do (unlike vfio-amba:
# build-modules.sh).
#
# Output, kept between runs (delete to rebuild): .cache/guest/boot/modules/{dmatest,dma_outside}.ko, and
# .cache/guest/boot/test-case-2-guest.cpio.gz: fetch.sh's initramfs with both modules and a /test that runs dmatest
# (iterations=20, every channel), then dma_outside, and powers off. Needs fetch.sh's kernel, gcc-arm-linux-gnueabihf,
# make, gcc, xz-utils and apt (dpkg --add-architecture armhf && apt-get update).
# Exit status: 0 built (or cached); 2 a package could not be found or downloaded (no registry); 1 any other failure.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
boot="$root/.cache/guest/boot"
out="$boot/modules"
initramfs="$boot/test-case-2-guest.cpio.gz"
. "$root/examples/guest/fetch-deb.sh"
say() { echo "build-dmatest-6.1: $*" >&2; }
unavailable() { say "$*"; exit 2; }

modules_built() { [ -e "$out/dmatest.ko" ] && [ -e "$out/dma_outside.ko" ]; }
modules_built && [ -e "$initramfs" ] && { say "cached: $out/dmatest.ko, $out/dma_outside.ko, $initramfs"; exit 0; }
[ -d "$boot/initramfs" ] || { say "no initramfs in $boot: run examples/guest/fetch.sh first"; exit 1; }
release=$(ls "$boot/kernel/lib/modules" 2>/dev/null | grep -- '-armmp-lpae$' | head -n 1 || true)
[ -n "$release" ] || { say "no kernel in $boot/kernel: run examples/guest/fetch.sh first"; exit 1; }
abi=${release%-armmp-lpae}
for tool in arm-linux-gnueabihf-gcc make gcc xz dpkg-deb apt-get cpio gzip; do
  command -v "$tool" >/dev/null || { say "'$tool' not found (install: gcc-arm-linux-gnueabihf make gcc xz-utils cpio gzip)"; exit 1; }
done

work="$boot/dmatest-build"
mkdir -p "$work/debs"
exec 9>"$work/.lock"
flock 9
# Downloads PACKAGE (name[:arch]) into debs/ unless a .deb of it is there; prints the .deb's path.
fetch() { fetch_deb "$work/debs" "$1"; }

build_modules() {
  rm -rf "$work/tree" "$work/mod" && mkdir -p "$work/tree" "$work/mod"
  for p in "linux-headers-$abi-common" "linux-kbuild-6.1" "linux-headers-$release:armhf"; do dpkg-deb -x "$(fetch "$p")" "$work/tree"; done
  dpkg-deb --fsys-tarfile "$(fetch linux-source-6.1)" | tar -xO ./usr/src/linux-source-6.1.tar.xz |
    tar -xJ -O linux-source-6.1/drivers/dma/dmatest.c > "$work/mod/dmatest.c"
  cp "$root/examples/guest/dma-outside/dma_outside.c" "$work/mod/"
  echo 'obj-m += dmatest.o dma_outside.o' > "$work/mod/Kbuild"
  local headers="$work/tree/usr/src/linux-headers-$release"
  # The headers' Makefile includes the common headers by an absolute /usr/src path; point it at ours instead.
  sed -i "s|^include /usr/src/|include \$(dir \$(lastword \$(MAKEFILE_LIST)))../|" "$headers/Makefile"
  # Its scripts and tools are symlinks to /usr/lib/linux-kbuild-6.1: point them at the unpacked one.
  ln -sfn "$work/tree/usr/lib/linux-kbuild-6.1/scripts" "$headers/scripts"
  ln -sfn "$work/tree/usr/lib/linux-kbuild-6.1/tools" "$headers/tools"
  make -s -C "$headers" M="$work/mod" DEB_BUILD_ARCH="$(dpkg --print-architecture)" DEB_HOST_ARCH=armhf \
    DEB_HOST_GNU_TYPE=arm-linux-gnueabihf modules
  mkdir -p "$out"
  for m in dmatest dma_outside; do cp "$work/mod/$m.ko" "$out/$m.ko.tmp" && mv "$out/$m.ko.tmp" "$out/$m.ko"; done
  rm -rf "$work/tree" "$work/mod"
  say "built $out/dmatest.ko, $out/dma_outside.ko for $release"
}

# The guest's initramfs for Test Case 2.
make_initramfs() {
  local dir="$work/initramfs"
  rm -rf "$dir" && cp -a "$boot/initramfs" "$dir" && cp "$out/dmatest.ko" "$out/dma_outside.ko" "$dir/"
  cat > "$dir/test" <<'TEST'
#!/bin/sh
echo "== DMA channels: $(ls /sys/class/dma/ | tr '\n' ' ')"
insmod /dmatest.ko iterations=20 threads_per_chan=1 test_buf_size=4096 timeout=3000
echo 1 > /sys/module/dmatest/parameters/run
cat /sys/module/dmatest/parameters/wait
echo "== dmatest done"
rmmod dmatest
insmod /dma_outside.ko target=0xa0000000
echo "== dma_outside done"
poweroff -f
TEST
  chmod +x "$dir/test"
  (cd "$dir" && find . | cpio -o -H newc --quiet | gzip -9) > "$initramfs.tmp" && mv "$initramfs.tmp" "$initramfs"
  rm -rf "$dir"
  say "built $initramfs"
}

modules_built || build_modules
make_initramfs
