// System calls a C program makes through glibc: files, directories, time, memory, identity, exit status.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  printf("argc %d", argc);
  for (int i = 1; i < argc; i++) printf(" [%s]", argv[i]);
  printf("\n");
  FILE *f = fopen("dmalab-test-file.txt", "w");
  if (!f) { perror("fopen"); return 1; }
  for (int i = 0; i < 100; i++) fprintf(f, "line %d\n", i);
  fclose(f);
  struct stat st;
  printf("stat %d size %lld reg %d\n", stat("dmalab-test-file.txt", &st), (long long)st.st_size, S_ISREG(st.st_mode));
  int fd = open("dmalab-test-file.txt", O_RDONLY);
  char buf[64];
  lseek(fd, 70, SEEK_SET);
  ssize_t n = read(fd, buf, 20);
  buf[n] = 0;
  printf("read %zd [%s]\n", n, buf);
  printf("seek end %ld\n", (long)lseek(fd, 0, SEEK_END));
  close(fd);
  printf("missing %d errno %d\n", open("does-not-exist.txt", O_RDONLY), errno);
  printf("close bad %d errno %d\n", close(99), errno);
  printf("unlink %d\n", unlink("dmalab-test-file.txt"));
  printf("unlinked stat %d\n", stat("dmalab-test-file.txt", &st));
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (volatile int i = 0; i < 10000; i++) {}
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("monotonic %d\n", b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec));
  char *big = malloc(5 << 20);
  memset(big, 1, 5 << 20);
  long total = 0;
  for (int i = 0; i < (5 << 20); i += 4096) total += big[i];
  printf("malloc %ld\n", total);
  free(big);
  void *m = mmap(0, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ((int *)m)[1000] = 77;
  printf("mmap %d munmap %d\n", ((int *)m)[1000], munmap(m, 65536));
  char cwd[256];
  printf("cwd ok %d\n", getcwd(cwd, sizeof cwd) != NULL);
  printf("pagesize %ld\n", sysconf(_SC_PAGESIZE));
  fprintf(stderr, "to stderr\n");
  fflush(stdout);
  write(1, "raw write\n", 10);
  return 42;
}
