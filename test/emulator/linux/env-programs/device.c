// Uses a device file the way a VFIO program does: ioctls (one returns a new descriptor), mmap of device registers,
// a buffer handed to the device for DMA, an eventfd signalled by the device and a blocking read on it.
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  int fd = open("/dev/dmalab-test", O_RDWR);
  if (fd < 0) { perror("open"); return 1; }
  printf("ioctl version %d\n", ioctl(fd, 0x3b64));
  int child = ioctl(fd, 0x3b6a, "child");
  printf("child descriptor %d answers %d\n", child, ioctl(child, 0x3b64));
  volatile uint32_t *regs = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (regs == MAP_FAILED) { perror("mmap"); return 1; }
  regs[1] = 0x1234;
  printf("register 1 reads 0x%x, register 2 reads 0x%x\n", regs[1], regs[2]);
  char *buffer = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ioctl(fd, 0x3b71, buffer) < 0) { perror("map"); return 1; }
  int efd = eventfd(0, 0);
  if (ioctl(fd, 0x3b6e, efd) < 0) { perror("ioctl"); return 1; }
  regs[0] = 1;  // start: the device writes the buffer and signals the eventfd later
  uint64_t count = 0;
  ssize_t n = read(efd, &count, sizeof count);
  printf("read %zd count %llu, register 0 now 0x%x, buffer says '%s'\n", n, (unsigned long long)count, regs[0], buffer);
  return 0;
}
