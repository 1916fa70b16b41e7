// Symbolic and hard links, rename, chmod, utimensat, all on paths relative to the working directory (so qemu-arm
// in an empty directory and dmalab in an empty workspace print the same). With argv[1] = "escape", links that point
// out of the directory (an absolute target argv[2], and a `..` chain) are opened and listed instead.
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64  // readdir of a 32-bit glibc fails (EOVERFLOW) on the host's 64-bit inode numbers under qemu-arm
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void put(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

static void show(const char *path) {
  char buf[128];
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("open %s: %s\n", path, strerror(errno));
    return;
  }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  buf[n < 0 ? 0 : n] = 0;
  printf("open %s: '%s'\n", path, buf);
  close(fd);
}

static void link_text(const char *path) {
  char buf[128];
  ssize_t n = readlink(path, buf, sizeof buf - 1);
  if (n < 0) printf("readlink %s: %s\n", path, strerror(errno));
  else printf("readlink %s: '%.*s'\n", path, (int)n, buf);
}

static void kinds(const char *path) {
  struct stat st, lst;
  int s = stat(path, &st), l = lstat(path, &lst);
  printf("%s: stat %s size %lld, lstat %s size %lld\n", path,
         s < 0 ? strerror(errno) : S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : "other", s < 0 ? -1LL : (long long)st.st_size,
         l < 0 ? "-" : S_ISLNK(lst.st_mode) ? "link" : S_ISDIR(lst.st_mode) ? "dir" : "file", l < 0 ? -1LL : (long long)lst.st_size);
}

static void list(const char *path) {
  DIR *d = opendir(path);
  if (!d) {
    printf("opendir %s: %s\n", path, strerror(errno));
    return;
  }
  const char *names[16];
  int count = 0;
  struct dirent *e;
  while ((e = readdir(d)) && count < 16)
    if (e->d_name[0] != '.') names[count++] = strdup(e->d_name);
  closedir(d);
  for (int i = 0; i < count; i++)
    for (int j = i + 1; j < count; j++)
      if (strcmp(names[j], names[i]) < 0) { const char *t = names[i]; names[i] = names[j]; names[j] = t; }
  printf("ls %s:", path);
  for (int i = 0; i < count; i++) printf(" %s", names[i]);
  printf("\n");
}

static int check(const char *what, int result) {
  printf("%s: %s\n", what, result < 0 ? strerror(errno) : "ok");
  return result;
}

static int escape(const char *outside) {
  check("symlink to the host file", symlink(outside, "out-abs"));
  link_text("out-abs");
  show("out-abs");
  char up[512] = "";
  for (int i = 0; i < 12; i++) strcat(up, "../");
  strcat(up, outside + 1);
  check("symlink up and out", symlink(up, "out-up"));
  show("out-up");
  show(up);
  check("symlink to the root's parent", symlink("/..", "rootparent"));
  list("rootparent");
  check("symlink to a directory outside", symlink("/tmp", "out-dir"));
  list("out-dir");
  check("chdir through a link", chdir("out-dir"));
  char cwd[256];
  printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : strerror(errno));
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "escape") == 0) return escape(argv[2]);
  put("data.txt", "the data");
  check("mkdir sub", mkdir("sub", 0755));
  check("mkdir sub/inner", mkdir("sub/inner", 0755));
  put("sub/x.txt", "x in sub");
  check("symlink data.txt", symlink("data.txt", "rel-link"));
  check("symlink sub", symlink("sub", "dir-link"));
  check("symlink sub/inner", symlink("sub/inner", "deep"));
  check("symlink dangling", symlink("nowhere/at/all", "dangling"));
  check("symlink over an existing name", symlink("data.txt", "data.txt"));
  check("symlinkat", symlinkat("../data.txt", AT_FDCWD, "sub/up-link"));
  check("symlink loop a", symlink("loop-b", "loop-a"));
  check("symlink loop b", symlink("loop-a", "loop-b"));
  link_text("rel-link");
  link_text("dir-link");
  link_text("dangling");
  link_text("data.txt");
  link_text("missing");
  int dir = open("sub", O_RDONLY | O_DIRECTORY);
  char buf[64];
  ssize_t n = readlinkat(dir, "up-link", buf, sizeof buf);
  printf("readlinkat sub up-link: '%.*s'\n", (int)n, buf);
  n = readlink("rel-link", buf, 4);
  printf("readlink into 4 bytes: %zd '%.*s'\n", n, (int)n, buf);
  show("rel-link");
  show("sub/up-link");
  show("dir-link/x.txt");
  show("deep/../x.txt");  // `..` of the link's target (sub/inner), not of the link's directory
  show("dangling");
  show("loop-a");
  show("rel-link/");
  int fd = open("dangling", O_WRONLY | O_CREAT | O_EXCL, 0644);
  printf("create through a dangling link with O_EXCL: %s\n", fd < 0 ? strerror(errno) : "created");
  fd = open("rel-link", O_RDONLY | O_NOFOLLOW);
  printf("open a link with O_NOFOLLOW: %s\n", fd < 0 ? strerror(errno) : "opened");
  kinds("rel-link");
  kinds("dir-link");
  kinds("dangling");
  kinds("data.txt");
  list("dir-link");
  list("dir-link/");
  check("rename rel-link", rename("rel-link", "renamed-link"));
  link_text("renamed-link");
  show("renamed-link");
  show("rel-link");
  check("renameat sub/x.txt", renameat(dir, "x.txt", AT_FDCWD, "x-moved.txt"));
  show("x-moved.txt");
  put("other.txt", "other");
  check("renameat2 NOREPLACE onto an existing file", renameat2(AT_FDCWD, "other.txt", AT_FDCWD, "data.txt", RENAME_NOREPLACE));
  check("renameat2 NOREPLACE onto a new name", renameat2(AT_FDCWD, "other.txt", AT_FDCWD, "third.txt", RENAME_NOREPLACE));
  check("rename a directory into itself", rename("sub", "sub/inner/sub"));
  check("link data.txt hard.txt", link("data.txt", "hard.txt"));
  check("link onto an existing name", link("data.txt", "hard.txt"));
  check("link a directory", link("sub", "sub-hard"));
  struct stat st;
  stat("data.txt", &st);
  printf("data.txt has %u links\n", (unsigned)st.st_nlink);
  check("linkat the link itself", linkat(AT_FDCWD, "renamed-link", AT_FDCWD, "link-of-link", 0));
  check("linkat following the link", linkat(AT_FDCWD, "renamed-link", AT_FDCWD, "link-of-target", AT_SYMLINK_FOLLOW));
  kinds("link-of-link");
  kinds("link-of-target");
  stat("data.txt", &st);
  printf("data.txt has %u links\n", (unsigned)st.st_nlink);
  check("chmod 0640 through a link", chmod("renamed-link", 0640));
  stat("data.txt", &st);
  printf("data.txt mode %o\n", st.st_mode & 07777);
  fd = open("data.txt", O_RDONLY);
  check("fchmod 0604", fchmod(fd, 0604));
  check("fchmodat 0600", fchmodat(AT_FDCWD, "hard.txt", 0600, 0));
  fstat(fd, &st);
  printf("data.txt mode %o\n", st.st_mode & 07777);
  struct timespec times[2] = {{1000000000, 250000000}, {1200000000, 500000000}};
  check("utimensat", utimensat(AT_FDCWD, "renamed-link", times, 0));
  stat("data.txt", &st);
  printf("data.txt atime %lld.%09ld mtime %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  struct timespec keep_atime[2] = {{0, UTIME_OMIT}, {1300000000, 0}};
  check("futimens omitting atime", futimens(fd, keep_atime));
  fstat(fd, &st);
  printf("data.txt atime %lld mtime %lld\n", (long long)st.st_atim.tv_sec, (long long)st.st_mtim.tv_sec);
  struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
  check("utimensat with nanoseconds out of range", utimensat(AT_FDCWD, "data.txt", bad, 0));
  check("unlink the link", unlink("renamed-link"));
  show("data.txt");
  check("chdir through a link", chdir("dir-link"));
  show("up-link");
  list(".");
  check("rmdir through a link", rmdir("../dir-link"));
  return 0;
}
