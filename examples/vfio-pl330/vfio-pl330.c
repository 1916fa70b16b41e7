// A userspace VFIO driver for the PL330 DMA controller (the VFIO_PLATFORM guide's Test Case 1), written for dmalab:
// bind the DMAC to vfio-platform (vfio-amba on the AMBA bus), put its IOMMU group in a type-1 container, map three
// DMA buffers through the SMMU, write PL330 microcode that copies one page, start channel 0 through the debug
// registers, wait for the DMASEV interrupt on an eventfd, and check the copy. With --unmapped, the isolation check:
// the destination is not mapped and the copy is aimed at IOVA instead, which the SMMU must stop (the channel faults,
// its abort interrupt fires, the destination buffer stays as it was).
//
//   usage: vfio-pl330 [--unmapped IOVA] [DEVICE [GROUP_PATH]]
//     DEVICE defaults to 2c0a0000.dma; GROUP_PATH (e.g. /dev/vfio/0) defaults to the one named by the device's
//     iommu_group link.
// Exit status 0 when the destination equals the source (with --unmapped: when the channel faulted and the destination
// is untouched); every failing step prints what and why.
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096u
#define COPY_BYTES PAGE

// PL330 registers (ARM DMA-330 TRM, register summary).
#define INTEN 0x020
#define INT_EVENT_RIS 0x024
#define INTCLR 0x02c
#define FSRD 0x030
#define FSRC 0x034
#define FTR0 0x040
#define CSR0 0x100
#define DBGSTATUS 0xd00
#define DBGCMD 0xd04
#define DBGINST0 0xd08
#define DBGINST1 0xd0c
#define FTR_DATA_WRITE_ERR (1u << 17)

// I/O virtual addresses the program chooses for its buffers (what the DMAC sees through the SMMU).
#define IOVA_CODE 0x10000000u
#define IOVA_SRC 0x10001000u
#define IOVA_DST 0x10002000u

#define MAX_IRQS 8

static int fail(const char *step, const char *what) {
  fprintf(stderr, "vfio-pl330: %s: %s: %s\n", step, what, strerror(errno));
  return 1;
}

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

static volatile uint32_t *regs;

static uint32_t rd(uint32_t offset) { return regs[offset / 4]; }
static void wr(uint32_t offset, uint32_t value) { regs[offset / 4] = value; }

// ---- PL330 microcode (encodings from the DMA-330 TRM instruction set) ----
static uint8_t *emit;
static void byte(uint8_t b) { *emit++ = b; }
static void word(uint32_t w) { for (int i = 0; i < 4; i++) byte((uint8_t)(w >> (8 * i))); }
static void dmamov(uint8_t reg, uint32_t value) { byte(0xbc); byte(reg); word(value); } // reg: 0 SAR, 1 CCR, 2 DAR
static void dmalp0(unsigned iterations) { byte(0x20); byte((uint8_t)(iterations - 1)); }
static void dmald(void) { byte(0x04); }
static void dmast(void) { byte(0x08); }
static void dmalpend0(uint8_t backwards) { byte(0x38); byte(backwards); }
static void dmawmb(void) { byte(0x13); }
static void dmasev(uint8_t event) { byte(0x34); byte((uint8_t)(event << 3)); }
static void dmaend(void) { byte(0x00); }

static int map_dma(int container, void *vaddr, uint64_t iova, unsigned flags) {
  struct vfio_iommu_type1_dma_map map = {
    .argsz = sizeof map, .flags = flags, .vaddr = (uintptr_t)vaddr, .iova = iova, .size = PAGE,
  };
  return ioctl(container, VFIO_IOMMU_MAP_DMA, &map);
}

static int unmap_dma(int container, uint64_t iova) {
  struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof unmap, .iova = iova, .size = PAGE };
  return ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap);
}

// SET_IRQS ACTION_TRIGGER with an eventfd (fd -1 tears the trigger down).
static int set_irq_eventfd(int device, unsigned index, int32_t fd) {
  char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
  struct vfio_irq_set *set = (struct vfio_irq_set *)buf;
  *set = (struct vfio_irq_set){
    .argsz = sizeof buf, .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, .index = index, .start = 0, .count = 1,
  };
  memcpy(set->data, &fd, sizeof fd);
  return ioctl(device, VFIO_DEVICE_SET_IRQS, set);
}

// SET_IRQS ACTION_UNMASK: a level-triggered (automasked) interrupt fires again only after this.
static int unmask_irq(int device, unsigned index) {
  struct vfio_irq_set set = {
    .argsz = sizeof set, .flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, .index = index, .start = 0, .count = 1,
  };
  return ioctl(device, VFIO_DEVICE_SET_IRQS, &set);
}

int main(int argc, char **argv) {
  // --unmapped IOVA: where the isolation check aims the copy (0: the copy itself).
  uint32_t unmapped = 0;
  if (argc > 2 && strcmp(argv[1], "--unmapped") == 0) {
    char *end;
    unmapped = (uint32_t)strtoul(argv[2], &end, 0);
    if (*end || !unmapped || unmapped % PAGE) { errno = EINVAL; return fail("--unmapped", argv[2]); }
    argc -= 2, argv += 2;
  }
  const char *device_name = argc > 1 ? argv[1] : "2c0a0000.dma";
  char path[256], group_path[300];

  // 1. Bind the device to its VFIO driver (as the guide does with echo into sysfs): vfio-platform for a platform
  //    device, vfio-amba for an AMBA (PrimeCell) one; the bus is the one whose sysfs knows the device.
  const char *bus = "platform", *driver = "vfio-platform";
  snprintf(path, sizeof path, "/sys/bus/%s/devices/%s/driver_override", bus, device_name);
  if (write_file(path, driver) < 0 && errno == ENOENT) {
    bus = "amba", driver = "vfio-amba";
    snprintf(path, sizeof path, "/sys/bus/%s/devices/%s/driver_override", bus, device_name);
    if (write_file(path, driver) < 0) return fail("bind", path);
  }
  snprintf(path, sizeof path, "/sys/bus/%s/devices/%s/driver/unbind", bus, device_name);
  if (write_file(path, device_name) < 0 && errno != ENOENT) return fail("unbind", path);
  snprintf(path, sizeof path, "/sys/bus/%s/drivers_probe", bus);
  if (write_file(path, device_name) < 0) return fail("bind", path);

  // 2. Find the IOMMU group: the iommu_group link ends in the group number.
  if (argc > 2) {
    snprintf(group_path, sizeof group_path, "%s", argv[2]);
  } else {
    char link[256];
    snprintf(path, sizeof path, "/sys/bus/%s/devices/%s/iommu_group", bus, device_name);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n < 0) return fail("iommu group", path);
    link[n] = 0;
    snprintf(group_path, sizeof group_path, "/dev/vfio/%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
  }
  printf("device %s (%s bus, %s), group %s\n", device_name, bus, driver, group_path);

  // 3. Container and group.
  int container = open("/dev/vfio/vfio", O_RDWR);
  if (container < 0) return fail("container", "/dev/vfio/vfio");
  if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) return fail("container", "unknown VFIO API version");
  if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) != 1) return fail("container", "no type-1 IOMMU support");
  int group = open(group_path, O_RDWR);
  if (group < 0) return fail("group", group_path);
  struct vfio_group_status status = { .argsz = sizeof status };
  if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) < 0) return fail("group", "GET_STATUS");
  if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) { errno = EBUSY; return fail("group", "not viable (a device of the group is bound to another driver)"); }
  if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0) return fail("group", "SET_CONTAINER");
  if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0) return fail("container", "SET_IOMMU(TYPE1)");
  struct vfio_iommu_type1_info iommu = { .argsz = sizeof iommu };
  if (ioctl(container, VFIO_IOMMU_GET_INFO, &iommu) < 0) return fail("container", "IOMMU_GET_INFO");
  printf("iommu page sizes 0x%llx\n", (unsigned long long)iommu.iova_pgsizes);

  // 4. The device: its register region and interrupts.
  int device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, device_name);
  if (device < 0) return fail("device", "GET_DEVICE_FD");
  struct vfio_device_info info = { .argsz = sizeof info };
  if (ioctl(device, VFIO_DEVICE_GET_INFO, &info) < 0) return fail("device", "GET_INFO");
  printf("device flags 0x%x, %u region(s), %u irq(s)\n", info.flags, info.num_regions, info.num_irqs);
  if (info.num_regions < 1 || info.num_irqs < 1) { errno = ENODEV; return fail("device", "needs a register region and an interrupt"); }
  struct vfio_region_info region = { .argsz = sizeof region, .index = 0 };
  if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &region) < 0) return fail("device", "GET_REGION_INFO(0)");
  printf("region 0: size 0x%llx offset 0x%llx flags 0x%x\n", (unsigned long long)region.size, (unsigned long long)region.offset, region.flags);
  regs = mmap(NULL, region.size, PROT_READ | PROT_WRITE, MAP_SHARED, device, (off_t)region.offset);
  if (regs == MAP_FAILED) return fail("device", "mmap of the register region");

  // 5. DMA buffers: page-aligned anonymous memory, mapped into the device's I/O address space.
  uint8_t *code = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint8_t *src = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint8_t *dst = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED || src == MAP_FAILED || dst == MAP_FAILED) return fail("buffers", "mmap");
  for (unsigned i = 0; i < COPY_BYTES; i++) src[i] = (uint8_t)(i * 13 + 7);
  memset(dst, 0, PAGE);
  if (map_dma(container, code, IOVA_CODE, VFIO_DMA_MAP_FLAG_READ) < 0) return fail("MAP_DMA", "microcode buffer");
  if (map_dma(container, src, IOVA_SRC, VFIO_DMA_MAP_FLAG_READ) < 0) return fail("MAP_DMA", "source buffer");
  if (!unmapped && map_dma(container, dst, IOVA_DST, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) < 0) return fail("MAP_DMA", "destination buffer");

  // 6. Microcode: 256 bursts of 4 x 4 bytes from SRC to DST, then a write barrier and event 0.
  emit = code;
  dmamov(1, 0x000d4035);  // CCR: incrementing source and destination, 4-byte beats, 4-beat bursts
  dmamov(0, IOVA_SRC);
  dmamov(2, unmapped ? unmapped : IOVA_DST);
  dmalp0(COPY_BYTES / 16);
  dmald();
  dmast();
  dmalpend0(2);
  dmawmb();
  dmasev(0);
  dmaend();
  printf("microcode: %d bytes at iova 0x%x\n", (int)(emit - code), IOVA_CODE);
  if (unmapped) printf("isolation: destination not mapped, copy aimed at unmapped iova 0x%x\n", unmapped);

  // 7. Interrupts: one eventfd per IRQ the device has (which line carries event 0 depends on the device tree).
  int efd[MAX_IRQS];
  unsigned irqs = info.num_irqs < MAX_IRQS ? info.num_irqs : MAX_IRQS;
  for (unsigned i = 0; i < irqs; i++) {
    efd[i] = eventfd(0, EFD_CLOEXEC);
    if (efd[i] < 0) return fail("interrupts", "eventfd");
    if (set_irq_eventfd(device, i, efd[i]) < 0) return fail("interrupts", "SET_IRQS(TRIGGER, EVENTFD)");
  }
  wr(INTEN, 1u << 0);

  // 8. Start channel 0 at the microcode with DMAGO through the debug interface.
  if (rd(DBGSTATUS) & 1) { errno = EBUSY; return fail("DMAGO", "debug interface busy"); }
  wr(DBGINST0, (0u << 24) | (0xa0u << 16));  // DMAGO, channel 0, secure
  wr(DBGINST1, IOVA_CODE);
  wr(DBGCMD, 0);

  // 9. Wait for the interrupt (the abort interrupt when the channel faults).
  struct pollfd fds[MAX_IRQS];
  for (unsigned i = 0; i < irqs; i++) fds[i] = (struct pollfd){ .fd = efd[i], .events = POLLIN };
  if (poll(fds, irqs, 5000) <= 0) { errno = ETIMEDOUT; return fail("interrupt", "no interrupt within 5 s"); }
  uint32_t csr = rd(CSR0), fsrd = rd(FSRD), fsrc = rd(FSRC), ftr = rd(FTR0);
  for (unsigned i = 0; i < irqs; i++) {
    if (!(fds[i].revents & POLLIN)) continue;
    uint64_t count;
    if (read(efd[i], &count, sizeof count) != sizeof count) return fail("interrupt", "read eventfd");
    printf("interrupt on irq index %u (count %llu), INT_EVENT_RIS 0x%x\n", i, (unsigned long long)count, rd(INT_EVENT_RIS));
    wr(INTCLR, 1u << 0);
    if (unmask_irq(device, i) < 0) return fail("interrupt", "SET_IRQS(UNMASK)");
  }

  // 10. Check the DMAC and the copy (with --unmapped: the fault, and the destination as it was).
  printf("CSR0 0x%x FSRD 0x%x FSRC 0x%x FTR0 0x%x\n", csr, fsrd, fsrc, ftr);
  int ok;
  if (unmapped) {
    int untouched = 1;
    for (unsigned i = 0; i < PAGE; i++) untouched &= dst[i] == 0;
    ok = (fsrc & 1) && (ftr & FTR_DATA_WRITE_ERR) && untouched;
    printf("isolation: channel 0 %s, destination buffer %s: %s\n", (fsrc & 1) ? ((ftr & FTR_DATA_WRITE_ERR) ? "faulted on its write" : "faulted") : "did not fault",
           untouched ? "untouched" : "CHANGED", ok ? "PASS" : "FAIL");
  } else {
    int same = memcmp(src, dst, COPY_BYTES) == 0;
    ok = same && (fsrd | fsrc) == 0;
    printf("copy of %u bytes: %s\n", COPY_BYTES, same ? "PASS" : "FAIL");
  }

  // 11. Tear down.
  for (unsigned i = 0; i < irqs; i++) { set_irq_eventfd(device, i, -1); close(efd[i]); }
  if (!unmapped) unmap_dma(container, IOVA_DST);
  unmap_dma(container, IOVA_SRC);
  unmap_dma(container, IOVA_CODE);
  munmap((void *)regs, region.size);
  close(device);
  close(group);
  close(container);
  return ok ? 0 : 1;
}
