// A small VFIO driver whose DMA goes astray, for the debugger's tests: it fills a buffer on the CPU (a loop to put a
// logpoint, a condition and a data breakpoint on), then has channel 0 of the VFIO_PLATFORM guide's first DMA-330 load from an IOVA
// it never mapped. The SMMU faults the read and the channel aborts; the program prints the fault registers.
#include <fcntl.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define DEVICE "2c0a0000.dma"
#define IOVA_CODE 0x10000000u
#define IOVA_UNMAPPED 0x30000000u
#define FSRC 0x034
#define FTR0 0x040
#define DBGCMD 0xd04
#define DBGINST0 0xd08
#define DBGINST1 0xd0c
#define MAX_IRQS 4

unsigned rounds;
unsigned checksum;
uint8_t pattern[64];

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int fail(const char *what) {
  fprintf(stderr, "dma-fault: %s\n", what);
  return 2;
}

int main(void) {
  for (rounds = 0; rounds < 16; rounds++) {
    pattern[rounds] = (uint8_t)(rounds * 3 + 1);
    checksum += pattern[rounds];
  }
  printf("pattern filled, checksum %u\n", checksum);

  write_file("/sys/bus/platform/devices/" DEVICE "/driver_override", "vfio-platform");
  write_file("/sys/bus/platform/drivers_probe", DEVICE);
  char link[256];
  ssize_t n = readlink("/sys/bus/platform/devices/" DEVICE "/iommu_group", link, sizeof link - 1);
  if (n < 0) return fail("no iommu group");
  link[n] = 0;
  char group_path[300];
  snprintf(group_path, sizeof group_path, "/dev/vfio/%s", strrchr(link, '/') + 1);
  int container = open("/dev/vfio/vfio", O_RDWR);
  int group = open(group_path, O_RDWR);
  if (container < 0 || group < 0) return fail("cannot open the container or the group");
  if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0 || ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0) return fail("cannot set up the container");
  int device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, DEVICE);
  struct vfio_region_info region = { .argsz = sizeof region, .index = 0 };
  if (device < 0 || ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &region) < 0) return fail("no device registers");
  volatile uint32_t *regs = mmap(NULL, region.size, PROT_READ | PROT_WRITE, MAP_SHARED, device, (off_t)region.offset);
  if (regs == MAP_FAILED) return fail("cannot map the registers");

  // The microcode: DMAMOV SAR, IOVA_UNMAPPED; DMALD; DMAEND. Only the page holding it is mapped for the device.
  uint8_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  const uint8_t microcode[] = { 0xbc, 0x00, IOVA_UNMAPPED & 0xff, (IOVA_UNMAPPED >> 8) & 0xff, (IOVA_UNMAPPED >> 16) & 0xff, IOVA_UNMAPPED >> 24, 0x04, 0x00 };
  memcpy(code, microcode, sizeof microcode);
  struct vfio_iommu_type1_dma_map map = { .argsz = sizeof map, .flags = VFIO_DMA_MAP_FLAG_READ, .vaddr = (uintptr_t)code, .iova = IOVA_CODE, .size = 4096 };
  if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map) < 0) return fail("MAP_DMA");

  // An eventfd on each of the device's interrupts: irq0 (events) and the abort line its fault raises.
  struct vfio_device_info info = { .argsz = sizeof info };
  if (ioctl(device, VFIO_DEVICE_GET_INFO, &info) < 0 || info.num_irqs < 1) return fail("no interrupts");
  unsigned irqs = info.num_irqs < MAX_IRQS ? info.num_irqs : MAX_IRQS;
  struct pollfd fds[MAX_IRQS];
  for (unsigned i = 0; i < irqs; i++) {
    int32_t efd = eventfd(0, 0);
    char irq_buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
    struct vfio_irq_set *irq = (struct vfio_irq_set *)irq_buf;
    *irq = (struct vfio_irq_set){ .argsz = sizeof irq_buf, .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, .index = i, .start = 0, .count = 1 };
    memcpy(irq->data, &efd, sizeof efd);
    if (ioctl(device, VFIO_DEVICE_SET_IRQS, irq) < 0) return fail("SET_IRQS");
    fds[i] = (struct pollfd){ .fd = efd, .events = POLLIN };
  }

  regs[DBGINST0 / 4] = 0xa0u << 16;  // DMAGO channel 0, secure
  regs[DBGINST1 / 4] = IOVA_CODE;
  regs[DBGCMD / 4] = 0;
  if (poll(fds, irqs, 1000) <= 0) return fail("no interrupt within 1 s");
  uint32_t fsrc = regs[FSRC / 4], ftr0 = regs[FTR0 / 4];
  printf("FSRC 0x%x FTR0 0x%x\n", fsrc, ftr0);
  return (fsrc & 1) ? 0 : 1;
}
