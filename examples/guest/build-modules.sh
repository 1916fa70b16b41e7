#!/bin/bash
# Fetches Debian's 6.12 kernels (armhf) and builds, out of tree and as Debian builds its own modules, the modules the
# VFIO_PLATFORM guide's two test cases need and Debian does not ship:
#   armmp-lpae (the host of Test Case 1, the guest of Test Case 2 on dmalab):
#     vfio-platform-base.ko, vfio-platform.ko, vfio-amba.ko, dmatest.ko  + Debian's own vfio.ko, vfio_iommu_type1.ko
#   armmp (short descriptors, for Cortex-A9 boards: the QEMU Exynos4210 reference run of Test Case 2): dmatest.ko
# from linux-source-6.12 against linux-headers-6.12.<n>+deb12-<flavour> and linux-kbuild-6.12.<n>+deb12.
#
# Output, kept between runs in .cache/guest/6.12/ (delete that directory to rebuild from scratch):
#   <flavour>/vmlinuz             the kernel (zImage)          <flavour>/dtbs/      Debian's devicetree blobs
#   <flavour>/Image               the kernel inside the zImage (extract-image.sh; boots without the decompressor)
#   <flavour>/modules/*.ko        the modules above            <flavour>/release    the kernel release (uname -r)
#   busybox                       busybox-static (armhf)       debs/                the downloaded packages
# Idempotent: a flavour whose <flavour>/.complete exists is not touched (and needs no package registry).
# Needs: dpkg --add-architecture armhf && apt-get update (once), gcc-arm-linux-gnueabihf, make, gcc, xz-utils.
# Exit status: 0 built (or cached); 2 a package could not be found or downloaded (no registry); 1 any other failure.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/.cache/guest/6.12"
flavours=(armmp-lpae armmp)
series=6.12

. "$root/examples/guest/fetch-deb.sh"
say() { echo "build-modules: $*" >&2; }
unavailable() { say "$*"; exit 2; }

all_cached() {
  for f in "${flavours[@]}"; do [ -e "$out/$f/.complete" ] || return 1; done
  [ -x "$out/busybox" ]
}
# The Image of each built flavour, taken out of its zImage once.
images() {
  for f in "${flavours[@]}"; do
    [ -e "$out/$f/.complete" ] && [ ! -e "$out/$f/Image" ] && "$root/examples/guest/extract-image.sh" "$out/$f/vmlinuz" "$out/$f/Image"
  done
  return 0
}
if all_cached; then
  images
  say "cached in $out ($(cat "$out/armmp-lpae/release"), $(cat "$out/armmp/release"))"
  exit 0
fi

for tool in arm-linux-gnueabihf-gcc make gcc xz dpkg-deb apt-get; do
  command -v "$tool" >/dev/null || { say "'$tool' not found (install: gcc-arm-linux-gnueabihf make gcc xz-utils)"; exit 1; }
done
dpkg --print-foreign-architectures | grep -qx armhf ||
  unavailable "the armhf architecture is not enabled: run 'dpkg --add-architecture armhf && apt-get update' as root"

# The ABI (6.12.<n>+deb12) is the one the armmp-lpae headers meta-package points to; linux-source-6.12 must be that
# same upstream release, since the modules are compiled from it against those headers.
abi=$(apt-cache depends "linux-headers-$series-armmp-lpae:armhf" 2>/dev/null |
  sed -n "s/.*Depends: linux-headers-\($series\.[0-9]*+deb[0-9]*\)-armmp-lpae.*/\1/p" | head -n 1 || true)
[ -n "$abi" ] || unavailable "apt knows no linux-headers-$series-armmp-lpae:armhf (run 'dpkg --add-architecture armhf && apt-get update' as root)"
source_version=$(apt-cache show linux-source-$series 2>/dev/null | sed -n 's/^Version: //p' | head -n 1 || true)
[ -n "$source_version" ] || unavailable "apt knows no linux-source-$series (run 'apt-get update' as root)"
[ "${source_version%%-*}" = "${abi%%+*}" ] ||
  { say "linux-source-$series is $source_version but the armmp-lpae headers are $abi: apt's lists are mid-update, rerun 'apt-get update'"; exit 1; }

mkdir -p "$out/debs"
# One build at a time, also across checkouts sharing the cache (and the CPU).
exec 9>"$out/.lock"
flock 9
all_cached && images && exit 0
# Downloads PACKAGE (name[:arch]) into debs/ unless a .deb of it is there; prints the .deb's path.
fetch() { fetch_deb "$out/debs" "$1"; }

# Shared by both flavours: the source tree's parts we compile, Kbuild, the common headers, busybox.
src="$out/src/linux-source-$series"
if [ ! -e "$out/src/.complete" ]; then
  deb=$(fetch "linux-source-$series")
  say "unpacking drivers/vfio/platform, drivers/dma/dmatest.c and scripts/mod from $(basename "$deb")"
  rm -rf "$out/src" && mkdir -p "$out/src"
  dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-source-$series.tar.xz" |
    tar -xJ -C "$out/src" --wildcards "linux-source-$series/drivers/vfio/platform/*" \
      "linux-source-$series/drivers/dma/dmatest.c" "linux-source-$series/scripts/mod/*" "linux-source-$series/scripts/include/*"
  touch "$out/src/.complete"
fi
common="$out/common/usr/src/linux-headers-$abi-common"
if [ ! -e "$out/common/.complete" ]; then
  rm -rf "$out/common" && mkdir -p "$out/common"
  for p in "linux-headers-$abi-common" "linux-kbuild-$abi"; do dpkg-deb -x "$(fetch "$p")" "$out/common"; done
  touch "$out/common/.complete"
fi
if [ ! -x "$out/busybox" ]; then
  rm -rf "$out/busybox-static" && dpkg-deb -x "$(fetch busybox-static:armhf)" "$out/busybox-static"
  cp "$out/busybox-static/bin/busybox" "$out/busybox.tmp" && mv "$out/busybox.tmp" "$out/busybox"
  rm -rf "$out/busybox-static"
fi

# Builds one flavour into $out/<flavour>/.
build_flavour() {
  local flavour=$1 dir="$out/$1" release="$abi-$1"
  [ -e "$dir/.complete" ] && return 0
  say "building the $release modules (one job, about a minute)"
  rm -rf "$dir" && mkdir -p "$dir/tree" "$dir/modules"
  cp -al "$out/common/." "$dir/tree/"
  for p in "linux-headers-$release:armhf" "linux-image-$release:armhf"; do dpkg-deb -x "$(fetch "$p")" "$dir/tree"; done
  local headers="$dir/tree/usr/src/linux-headers-$release"
  # Trap 1: the headers' Makefile includes the common headers by an absolute /usr/src path; point it at ours instead.
  sed -i "s|^include /usr/src/|include \$(dir \$(lastword \$(MAKEFILE_LIST)))../|" "$headers/Makefile"
  # Debian's packaging derives ARCH and CROSS_COMPILE from these, as when it builds its own modules.
  local make=(make -s -C "$headers" DEB_BUILD_ARCH="$(dpkg --print-architecture)" DEB_HOST_ARCH=armhf DEB_HOST_GNU_TYPE=arm-linux-gnueabihf)
  # Trap 2: linux-kbuild's modpost for 32-bit targets on a 64-bit build machine reads device tables with 64-bit
  # sizes and rejects vfio-amba's amba_id table; rebuild modpost from the source's scripts/mod for this target.
  mkdir -p "$dir/modpost/scripts" "$dir/modpost/include/linux"
  cp -a "$src/scripts/mod" "$src/scripts/include" "$dir/modpost/scripts/"
  cp "$common/include/linux/"{mod_devicetable.h,license.h,module_symbol.h} "$dir/modpost/include/linux/"
  { cat "$src/scripts/mod/Makefile"; echo 'HOST_EXTRACFLAGS += -I$(src)/../include'; } > "$dir/modpost/scripts/mod/Kbuild"
  "${make[@]}" M="$dir/modpost/scripts/mod" modules
  make+=(MODPOST="$dir/modpost/scripts/mod/modpost")

  mkdir -p "$dir/dmatest"
  cp "$src/drivers/dma/dmatest.c" "$dir/dmatest/"
  echo 'obj-m += dmatest.o' > "$dir/dmatest/Kbuild"
  "${make[@]}" M="$dir/dmatest" modules
  cp "$dir/dmatest/dmatest.ko" "$dir/modules/"
  if [ "$flavour" = armmp-lpae ]; then
    mkdir -p "$dir/vfio-platform"
    cp "$src/drivers/vfio/platform/"*.[ch] "$dir/vfio-platform/"
    # The objects as drivers/vfio/platform/Makefile links them (without the reset modules: the PL330 has none).
    cat > "$dir/vfio-platform/Kbuild" <<'KBUILD'
vfio-platform-base-y := vfio_platform_common.o vfio_platform_irq.o
vfio-platform-y := vfio_platform.o
vfio-amba-y := vfio_amba.o
obj-m += vfio-platform-base.o vfio-platform.o vfio-amba.o
KBUILD
    "${make[@]}" M="$dir/vfio-platform" modules
    cp "$dir/vfio-platform/"{vfio-platform-base,vfio-platform,vfio-amba}.ko "$dir/modules/"
    for m in vfio vfio_iommu_type1; do
      xz -dc "$dir/tree/lib/modules/$release/kernel/drivers/vfio/$m.ko.xz" > "$dir/modules/$m.ko"
    done
  fi
  cp "$dir/tree/boot/vmlinuz-$release" "$dir/vmlinuz"
  cp "$dir/tree/boot/config-$release" "$dir/config"
  mv "$dir/tree/usr/lib/linux-image-$release" "$dir/dtbs"
  echo "$release" > "$dir/release"
  rm -rf "$dir/tree" "$dir/modpost" "$dir/dmatest" "$dir/vfio-platform"
  touch "$dir/.complete"
}

for f in "${flavours[@]}"; do build_flavour "$f"; done
images
for f in "${flavours[@]}"; do say "$f: $out/$f/vmlinuz, modules: $(cd "$out/$f/modules" && echo *.ko)"; done
