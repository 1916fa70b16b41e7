// Ends in the fault named by argv[1]: an undefined instruction, a bad memory access, an unimplemented system call
// (a stop under --strict-syscalls; -ENOSYS otherwise).
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  printf("fault: %s\n", what);
  fflush(stdout);
  if (strcmp(what, "undefined") == 0) __builtin_trap();
  if (strcmp(what, "memory") == 0) *(volatile int *)0x10 = 1;
  if (strcmp(what, "syscall") == 0) syscall(SYS_inotify_init1, 0);
  return 0;
}
