// System calls that have no implementation (vserver: none on Linux either; inotify_init1: not in dmalab) return
// -1 with errno ENOSYS; the program carries on.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  for (int i = 0; i < 2; i++) {
    long r = syscall(SYS_vserver, 0, 0);
    printf("vserver: %ld (%s)\n", r, r < 0 ? strerror(errno) : "ok");
  }
  if (argc > 1 && strcmp(argv[1], "inotify") == 0) {
    long r = syscall(SYS_inotify_init1, 0);
    printf("inotify_init1: %ld (%s)\n", r, r < 0 ? strerror(errno) : "ok");
  }
  printf("still running\n");
  return 0;
}
