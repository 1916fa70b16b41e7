// A userspace VFIO driver for the PL330 written the ways drivers wait for hardware, to check that the DMAC runs while
// the CPU runs (one clock):
//   vfio-polling poll     busy-waits on DBGSTATUS before each debug command, starts a copy and polls CSR0 until the
//                         channel is Stopped, then INT_EVENT_RIS for its event; starts the copy again and polls
//                         INT_EVENT_RIS alone until the event; then starts a copy from an unmapped IOVA and spins on
//                         FSRC until the channel faults, kills it and polls CSR0 again.
//   vfio-polling thread   an interrupt thread blocks in read() on the eventfd and tells the main thread through a
//                         condition variable; the main thread waits on it.
// Prints each step; exit status 0 when every wait ended as the hardware says and the copies are right.
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096u
#define COPY_BYTES (4 * PAGE)
#define INTEN 0x020
#define INT_EVENT_RIS 0x024
#define INTCLR 0x02c
#define FSRC 0x034
#define FTR0 0x040
#define CSR0 0x100
#define DBGSTATUS 0xd00
#define DBGCMD 0xd04
#define DBGINST0 0xd08
#define DBGINST1 0xd0c
#define IOVA_CODE 0x10000000u
#define IOVA_SRC 0x10010000u
#define IOVA_DST 0x10020000u
#define IOVA_UNMAPPED 0x20000000u
/** Polls before a wait is declared hung (far more than any copy here needs). */
#define MAX_POLLS 10000000u

static volatile uint32_t *regs;
static uint32_t rd(uint32_t offset) { return regs[offset / 4]; }
static void wr(uint32_t offset, uint32_t value) { regs[offset / 4] = value; }

static int die(const char *what) {
  fprintf(stderr, "vfio-polling: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) die(path);
  close(fd);
}

static uint8_t *emit;
static void byte(uint8_t b) { *emit++ = b; }
static void dmamov(uint8_t reg, uint32_t value) {
  byte(0xbc);
  byte(reg);
  for (int i = 0; i < 4; i++) byte((uint8_t)(value >> (8 * i)));
}

// Copies `bytes` from src to dst in 16-byte bursts, then signals event 0 and ends.
static void copy_program(uint8_t *code, uint32_t src, uint32_t dst, unsigned bytes) {
  emit = code;
  dmamov(1, 0x000d4035);  // CCR: incrementing, 4-byte beats, 4-beat bursts
  dmamov(0, src);
  dmamov(2, dst);
  for (unsigned left = bytes / 16; left > 0;) {
    unsigned n = left > 256 ? 256 : left;
    byte(0x20); byte((uint8_t)(n - 1));  // DMALP LC0, n
    byte(0x04); byte(0x08);              // DMALD; DMAST
    byte(0x38); byte(2);                 // DMALPEND LC0
    left -= n;
  }
  byte(0x13);        // DMAWMB
  byte(0x34); byte(0);  // DMASEV 0
  byte(0x00);        // DMAEND
}

static unsigned debug_waits;

// A debug command, as Linux's pl330 driver issues one: wait until the debug interface is idle first.
static void debug_command(uint32_t inst0, uint32_t inst1) {
  for (unsigned n = 0; rd(DBGSTATUS) & 1; n++) {
    if (n == MAX_POLLS) { errno = ETIMEDOUT; die("DBGSTATUS stays busy"); }
    debug_waits++;
  }
  wr(DBGINST0, inst0);
  wr(DBGINST1, inst1);
  wr(DBGCMD, 0);
}

static void dmago(uint32_t address) { debug_command(0xa0u << 16, address); }
static void dmakill(unsigned channel) { debug_command((0x01u << 16) | (channel << 8) | 1, 0); }

// Polls a register until (value & mask) == want; returns how many reads saw something else.
static unsigned poll_until(const char *name, uint32_t offset, uint32_t mask, uint32_t want) {
  unsigned polls = 0;
  while ((rd(offset) & mask) != want) {
    if (++polls == MAX_POLLS) { errno = ETIMEDOUT; die(name); }
  }
  return polls;
}

static int device, efd;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int interrupts;

static void *interrupt_thread(void *unused) {
  (void)unused;
  uint64_t count;
  if (read(efd, &count, sizeof count) != sizeof count) die("read eventfd");
  uint32_t ris = rd(INT_EVENT_RIS);
  wr(INTCLR, 1);
  struct vfio_irq_set unmask = { .argsz = sizeof unmask, .flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, .count = 1 };
  if (ioctl(device, VFIO_DEVICE_SET_IRQS, &unmask) < 0) die("SET_IRQS(UNMASK)");
  pthread_mutex_lock(&lock);
  interrupts++;
  pthread_cond_signal(&changed);
  pthread_mutex_unlock(&lock);
  printf("interrupt thread: count %llu, INT_EVENT_RIS 0x%x\n", (unsigned long long)count, ris);
  return NULL;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "poll";
  const char *name = "2c0a0000.dma";
  write_file("/sys/bus/platform/devices/2c0a0000.dma/driver_override", "vfio-platform");
  write_file("/sys/bus/platform/drivers_probe", name);
  char link[256], group_path[300];
  ssize_t n = readlink("/sys/bus/platform/devices/2c0a0000.dma/iommu_group", link, sizeof link - 1);
  if (n < 0) die("iommu_group");
  link[n] = 0;
  snprintf(group_path, sizeof group_path, "/dev/vfio/%s", strrchr(link, '/') + 1);
  int container = open("/dev/vfio/vfio", O_RDWR), group = open(group_path, O_RDWR);
  if (container < 0 || group < 0) die("open /dev/vfio");
  if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0 || ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0) die("container");
  device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, name);
  if (device < 0) die("GET_DEVICE_FD");
  struct vfio_region_info region = { .argsz = sizeof region, .index = 0 };
  if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &region) < 0) die("GET_REGION_INFO");
  regs = mmap(NULL, region.size, PROT_READ | PROT_WRITE, MAP_SHARED, device, (off_t)region.offset);
  if (regs == MAP_FAILED) die("mmap registers");

  uint8_t *code = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint8_t *src = mmap(NULL, COPY_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint8_t *dst = mmap(NULL, COPY_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (unsigned i = 0; i < COPY_BYTES; i++) src[i] = (uint8_t)(i * 7 + 1);
  struct { void *vaddr; uint32_t iova, size, flags; } maps[] = {
    { code, IOVA_CODE, PAGE, VFIO_DMA_MAP_FLAG_READ },
    { src, IOVA_SRC, COPY_BYTES, VFIO_DMA_MAP_FLAG_READ },
    { dst, IOVA_DST, COPY_BYTES, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE },
  };
  for (unsigned i = 0; i < 3; i++) {
    struct vfio_iommu_type1_dma_map map = { .argsz = sizeof map, .flags = maps[i].flags, .vaddr = (uintptr_t)maps[i].vaddr, .iova = maps[i].iova, .size = maps[i].size };
    if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map) < 0) die("MAP_DMA");
  }
  copy_program(code, IOVA_SRC, IOVA_DST, COPY_BYTES);

  int ok = 1;
  if (strcmp(mode, "thread") == 0) {
    efd = eventfd(0, 0);
    char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
    struct vfio_irq_set *set = (struct vfio_irq_set *)buf;
    *set = (struct vfio_irq_set){ .argsz = sizeof buf, .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, .count = 1 };
    memcpy(set->data, &efd, sizeof efd);
    if (ioctl(device, VFIO_DEVICE_SET_IRQS, set) < 0) die("SET_IRQS(TRIGGER)");
    wr(INTEN, 1);
    pthread_t thread;
    if (pthread_create(&thread, NULL, interrupt_thread, NULL) != 0) die("pthread_create");
    dmago(IOVA_CODE);
    pthread_mutex_lock(&lock);
    while (interrupts == 0) pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    printf("main thread: woken after the interrupt, CSR0 0x%x\n", rd(CSR0));
    ok = (rd(CSR0) & 0xf) == 0;
  } else {
    wr(INTEN, 1);
    dmago(IOVA_CODE);
    unsigned executing = poll_until("CSR0 until Stopped", CSR0, 0xf, 0);
    printf("CSR0 polled until Stopped: %u reads saw the channel running first\n", executing);
    unsigned ris = poll_until("INT_EVENT_RIS event 0", INT_EVENT_RIS, 1, 1);
    printf("INT_EVENT_RIS event 0: set (%u reads before)\n", ris);
    wr(INTCLR, 1);
    ok = executing > 0;

    // The same copy again, now waiting on the raw interrupt status alone.
    memset(dst, 0, COPY_BYTES);
    dmago(IOVA_CODE);
    unsigned clear = poll_until("INT_EVENT_RIS after a second copy", INT_EVENT_RIS, 1, 1);
    printf("INT_EVENT_RIS polled until event 0: %u reads saw it clear first\n", clear);
    wr(INTCLR, 1);
    ok = ok && clear > 0 && memcmp(src, dst, COPY_BYTES) == 0;

    copy_program(code, IOVA_UNMAPPED, IOVA_DST, 64);
    dmago(IOVA_CODE);
    unsigned faulting = poll_until("FSRC channel 0", FSRC, 1, 1);
    printf("FSRC channel 0 faulting (%s), FTR0 0x%x, CSR0 state %u\n", faulting > 0 ? "after polling" : "at once", rd(FTR0), rd(CSR0) & 0xf);
    dmakill(0);
    poll_until("CSR0 until Stopped after DMAKILL", CSR0, 0xf, 0);
    printf("after DMAKILL: FSRC 0x%x CSR0 state %u, DBGSTATUS waits %u\n", rd(FSRC), rd(CSR0) & 0xf, debug_waits);
  }
  int same = memcmp(src, dst, COPY_BYTES) == 0;
  printf("copy of %u bytes: %s\n", COPY_BYTES, same && ok ? "PASS" : "FAIL");
  return same && ok ? 0 : 1;
}
