#!/bin/sh
# Fetches Debian's armmp-lpae kernel and busybox-static (armhf) with apt and builds a busybox initramfs whose /init
# prints a greeting, mounts /proc and /sys and starts a shell on the console (`poweroff -f` ends dmalab).
# Everything lands in .cache/guest/boot/ (kept between runs): vmlinuz, the decompressed Image, initramfs.cpio.gz.
# Needs: dpkg --add-architecture armhf && apt-get update (once), cpio, gzip, xz.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/.cache/guest/boot"
# Fetched once: delete .cache/guest/boot to fetch Debian's current kernel again.
if [ -s "$out/Image" ] && [ -s "$out/initramfs.cpio.gz" ] && [ -d "$out/initramfs" ] && [ -d "$out/kernel/lib/modules" ]; then
  echo "cached: $out/vmlinuz, $out/Image, $out/initramfs.cpio.gz"
  exit 0
fi
mkdir -p "$out/debs"
cd "$out/debs"
kernel_pkg=$(apt-cache depends linux-image-armmp-lpae:armhf | sed -n 's/.*Depends: \(linux-image-[0-9].*-armmp-lpae\).*/\1/p' | head -n 1)
[ -n "$kernel_pkg" ] || { echo "fetch.sh: no linux-image-*-armmp-lpae:armhf known to apt (dpkg --add-architecture armhf; apt-get update)" >&2; exit 1; }
ls "${kernel_pkg}"_*.deb >/dev/null 2>&1 || apt-get download "$kernel_pkg:armhf"
ls busybox-static_*.deb >/dev/null 2>&1 || apt-get download busybox-static:armhf
rm -rf "$out/kernel" "$out/busybox" && mkdir -p "$out/kernel" "$out/busybox"
dpkg-deb -x "${kernel_pkg}"_*.deb "$out/kernel"
dpkg-deb -x busybox-static_*.deb "$out/busybox"
cp "$out"/kernel/boot/vmlinuz-* "$out/vmlinuz"
"$root/examples/guest/extract-image.sh" "$out/vmlinuz" "$out/Image"

rm -rf "$out/initramfs" && mkdir -p "$out/initramfs/bin" "$out/initramfs/proc" "$out/initramfs/sys" "$out/initramfs/dev"
cp "$out/busybox/bin/busybox" "$out/initramfs/bin/busybox"
cat > "$out/initramfs/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "dmalab guest: $(uname -sr) on $(cat /proc/cpuinfo | grep -m1 'model name' | cut -d: -f2)"
[ -x /test ] && exec /test
exec sh
INIT
chmod +x "$out/initramfs/init"
(cd "$out/initramfs" && find . | cpio -o -H newc --quiet | gzip -9) > "$out/initramfs.cpio.gz"
echo "kernel: $out/vmlinuz ($kernel_pkg)"
echo "image:  $out/Image"
echo "initrd: $out/initramfs.cpio.gz"
