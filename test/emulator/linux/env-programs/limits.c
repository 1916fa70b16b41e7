// Resource limits set and read back (prlimit64, setrlimit/getrlimit) and RLIMIT_NOFILE enforced, getrandom's flags, sched_getaffinity's size
// rules: what the program can rely on whatever the host (limits it did not set, and the CPU count, are the host's
// under qemu-arm, so only their shape is printed).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static void result(const char *what, long r) {
  if (r < 0) printf("%s: %s\n", what, strerror(errno));
  else printf("%s: %ld\n", what, r);
}

int main(void) {
  struct rlimit limit = {64, 128}, old;
  result("setrlimit NOFILE 64/128", setrlimit(RLIMIT_NOFILE, &limit));
  getrlimit(RLIMIT_NOFILE, &old);
  printf("getrlimit NOFILE: %lu/%lu\n", (unsigned long)old.rlim_cur, (unsigned long)old.rlim_max);
  struct rlimit64 wide = {32, 100}, wide_old;
  result("prlimit64 NOFILE 32/100", prlimit64(0, RLIMIT_NOFILE, &wide, &wide_old));
  printf("previous: %llu/%llu\n", (unsigned long long)wide_old.rlim_cur, (unsigned long long)wide_old.rlim_max);
  prlimit64(0, RLIMIT_NOFILE, NULL, &wide_old);
  printf("now: %llu/%llu\n", (unsigned long long)wide_old.rlim_cur, (unsigned long long)wide_old.rlim_max);
  // qemu-arm holds one descriptor of the program's table itself: print the highest, not how many opened.
  int highest = -1, fd, fds[2];
  while ((fd = open("/", O_RDONLY)) >= 0) highest = fd;
  printf("with 32 descriptors: opened up to %d, then: %s\n", highest, strerror(errno));
  result("dup2 onto descriptor 40", dup2(0, 40));
  result("fcntl F_DUPFD from 40", fcntl(0, F_DUPFD, 40));
  result("pipe", pipe(fds));
  close(31);
  result("pipe with one descriptor free", pipe(fds));
  result("open with one descriptor free", open("/", O_RDONLY));
  for (fd = 3; fd < 32; fd++) close(fd);
  struct rlimit64 inverted = {200, 100};
  result("prlimit64 with soft above hard", prlimit64(0, RLIMIT_NOFILE, &inverted, NULL));
  result("prlimit64 of no resource", prlimit64(0, 99, NULL, &wide_old));
  struct rlimit64 core = {0, RLIM64_INFINITY};
  result("prlimit64 CORE 0/infinity", prlimit64(0, RLIMIT_CORE, &core, NULL));
  getrlimit(RLIMIT_CORE, &old);
  printf("getrlimit CORE: %lu/%s\n", (unsigned long)old.rlim_cur, old.rlim_max == RLIM_INFINITY ? "infinity" : "finite");
  getrlimit(RLIMIT_STACK, &old);
  printf("stack limit set: %d\n", old.rlim_cur > 0);

  unsigned char bytes[32];
  result("getrandom", getrandom(bytes, sizeof bytes, 0));
  result("getrandom GRND_NONBLOCK", getrandom(bytes, sizeof bytes, GRND_NONBLOCK));
  result("getrandom GRND_RANDOM", getrandom(bytes, 16, GRND_RANDOM));
  result("getrandom with an unknown flag", getrandom(bytes, sizeof bytes, 0x80));
  result("getrandom INSECURE|RANDOM", getrandom(bytes, sizeof bytes, GRND_RANDOM | 4));

  cpu_set_t set;
  result("sched_getaffinity", sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) >= 1 : -1);
  unsigned long small[1];
  result("sched_getaffinity size 3", syscall(SYS_sched_getaffinity, 0, 3, small));
  long r = syscall(SYS_sched_getaffinity, 0, sizeof small, small);
  printf("sched_getaffinity size 4: %s, cpu 0 %s\n", r == 4 ? "4 bytes" : "other", small[0] & 1 ? "set" : "clear");
  return 0;
}
