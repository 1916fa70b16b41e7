#!/bin/bash
# Builds the initramfs images of the VFIO_PLATFORM guide's two test cases from what build-modules.sh cached:
#   .cache/guest/6.12/test-case-1-host.cpio.gz   busybox, Debian's vfio.ko + vfio_iommu_type1.ko, the out-of-tree
#       vfio-platform-base/vfio-platform/vfio-amba modules and examples/vfio-pl330/vfio-pl330; its /init loads them,
#       releases the DMAC from dma-pl330 where that driver bound it, runs `vfio-pl330 2c0a0000.dma` (the copy), then
#       `vfio-pl330 --unmapped 0x50000000 2c0a0000.dma` (the isolation check), prints dmesg's arm-smmu, vfio and
#       IOMMU mapping lines and powers off.
#   .cache/guest/6.12/test-case-2-guest.cpio.gz  busybox and dmatest.ko for each kernel flavour (its /init picks the
#       one of `uname -r`); its /init runs dmatest iterations=20 on every DMA channel, prints each channel's summary
#       and powers off. `dmatest.<param>=<value>` words on the kernel command line are passed to dmatest.
# Root is not needed (cpio -o -H newc, files owned by root in the archive). The images are reproducible.
# Runs build-modules.sh first (cached after its first run); exit status as build-modules.sh.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/.cache/guest/6.12"
"$root/examples/guest/build-modules.sh"
command -v cpio >/dev/null || { echo "initramfs: 'cpio' not found (install: cpio)" >&2; exit 1; }
exec 9>"$out/.lock"
flock 9

host="$out/test-case-1-host"
guest="$out/test-case-2-guest"
# Up to date when both images are newer than everything they are made of (this script included).
if [ -e "$host.cpio.gz" ] && [ -e "$guest.cpio.gz" ] && [ -z "$(find "$0" "$root/examples/vfio-pl330/vfio-pl330" \
    "$out/busybox" "$out"/*/.complete -newer "$host.cpio.gz" -o -newer "$guest.cpio.gz" 2>/dev/null)" ]; then
  echo "initramfs: up to date: $host.cpio.gz, $guest.cpio.gz" >&2
  exit 0
fi

# Writes the tree $1 as a newc cpio, gzipped, to $2 (atomically; same bytes for the same tree).
pack() {
  find "$1" -exec touch -h -d @0 {} +
  (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet | gzip -9n) > "$2.tmp"
  mv "$2.tmp" "$2"
  rm -rf "$1"
}

# A tree with busybox and the directories every /init here mounts.
skeleton() {
  rm -rf "$1" && mkdir -p "$1"/{bin,dev,proc,sys,lib/modules}
  cp "$out/busybox" "$1/bin/busybox"
}

# The shared first lines of both /init scripts.
init_prologue='#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null'

skeleton "$host"
lpae="$out/armmp-lpae"
cp "$lpae/modules/"{vfio,vfio_iommu_type1,vfio-platform-base,vfio-platform,vfio-amba}.ko "$host/lib/modules/"
cp "$root/examples/vfio-pl330/vfio-pl330" "$host/bin/vfio-pl330"
cat > "$host/init" <<INIT
$init_prologue
echo "dmalab Test Case 1 host: Linux \$(uname -r)"
load() { insmod "/lib/modules/\$1.ko" \$2; echo "insmod \$1.ko rc=\$?"; }
# type-1 refuses groups without interrupt isolation, which a GICv2 cannot give; the PL330 has no VFIO reset module
# (vfio-amba never requires one).
load vfio
load vfio_iommu_type1 allow_unsafe_interrupts=1
load vfio-platform-base
load vfio-platform reset_required=0
load vfio-amba
device=2c0a0000.dma
if [ -e /sys/bus/amba/drivers/dma-pl330/\$device ]; then
  echo \$device > /sys/bus/amba/drivers/dma-pl330/unbind && echo "released \$device from dma-pl330"
fi
vfio-pl330 \$device
echo "vfio-pl330 exit status \$?"
# The isolation check: the same program with its copy aimed at an IOVA nothing is mapped at.
vfio-pl330 --unmapped 0x50000000 \$device
echo "vfio-pl330 --unmapped exit status \$?"
dmesg | grep -E 'arm-smmu|vfio|IOMMU mapping'
poweroff -f
INIT
chmod +x "$host/init"
pack "$host" "$host.cpio.gz"

skeleton "$guest"
for flavour in armmp-lpae armmp; do
  mkdir -p "$guest/lib/modules/$(cat "$out/$flavour/release")"
  cp "$out/$flavour/modules/dmatest.ko" "$guest/lib/modules/$(cat "$out/$flavour/release")/"
done
cat > "$guest/init" <<INIT
$init_prologue
echo "dmalab Test Case 2 guest: Linux \$(uname -r)"
extra=\$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^dmatest\.//p')
# No channel or max_channels: dmatest takes every memcpy channel no other driver holds, one thread each.
insmod /lib/modules/\$(uname -r)/dmatest.ko iterations=20 threads_per_chan=1 test_buf_size=4096 timeout=3000 \$extra
echo "insmod dmatest.ko rc=\$?"
echo 1 > /sys/module/dmatest/parameters/run
cat /sys/module/dmatest/parameters/wait > /dev/null
dmesg | grep -E 'dmatest: (Added|.*summary)'
echo "dmatest: \$(dmesg | grep -c 'dmatest: Added') channel(s) tested"
poweroff -f
INIT
chmod +x "$guest/init"
pack "$guest" "$guest.cpio.gz"
echo "initramfs: $host.cpio.gz" >&2
echo "initramfs: $guest.cpio.gz" >&2
