// Uses a device file the way a VFIO program does: ioctl, mmap of device registers, an eventfd signalled by the
// device, a blocking read on it.
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
  volatile uint32_t *regs = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (regs == MAP_FAILED) { perror("mmap"); return 1; }
  regs[1] = 0x1234;
  printf("register 1 reads 0x%x, register 2 reads 0x%x\n", regs[1], regs[2]);
  int efd = eventfd(0, 0);
  if (ioctl(fd, 0x3b6e, efd) < 0) { perror("ioctl"); return 1; }
  regs[0] = 1;  // start: the device signals the eventfd later
  uint64_t count = 0;
  ssize_t n = read(efd, &count, sizeof count);
  printf("read %zd count %llu, register 0 now 0x%x\n", n, (unsigned long long)count, regs[0]);
  return 0;
}
