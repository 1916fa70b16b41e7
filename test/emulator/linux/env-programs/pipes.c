// pipe/pipe2: bytes in order, end of file once the write end is closed, O_NONBLOCK, poll, dup3, stdio over a pipe,
// EPIPE with SIGPIPE ignored, and a reader and a writer that block on each other in two threads. With argv[1] = "block", reads the empty pipe while its write end is open (no thread
// can ever write: dmalab reports the deadlock, Linux would wait forever).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void result(const char *what, long r) {
  if (r < 0) printf("%s: %s\n", what, strerror(errno));
  else printf("%s: %ld\n", what, r);
}

static void poll_one(const char *what, int fd, short events) {
  struct pollfd p = {fd, events, 0};
  int n = poll(&p, 1, 0);
  printf("poll %s: %d revents%s%s%s%s\n", what, n, p.revents & POLLIN ? " IN" : "", p.revents & POLLOUT ? " OUT" : "",
         p.revents & POLLHUP ? " HUP" : "", p.revents & POLLERR ? " ERR" : "");
}

static int thread_pipe[2];

/** Fills the pipe past its capacity (the write blocks until main drains it), then closes it. */
static void *writer(void *arg) {
  static char block[100000];
  memset(block, 'w', sizeof block);
  ssize_t n = write(thread_pipe[1], block, sizeof block);
  close(thread_pipe[1]);
  return (void *)n;
}

int main(int argc, char **argv) {
  int fds[2];
  result("pipe", pipe(fds));
  if (argc > 1 && strcmp(argv[1], "block") == 0) {
    char c;
    printf("reading the empty pipe\n");
    fflush(stdout);
    return read(fds[0], &c, 1) < 0;
  }
  printf("descriptors %d %d\n", fds[0], fds[1]);
  struct stat st;
  fstat(fds[0], &st);
  printf("fifo: %d\n", S_ISFIFO(st.st_mode));
  poll_one("empty read end", fds[0], POLLIN);
  poll_one("write end", fds[1], POLLOUT);
  result("write hello", write(fds[1], "hello", 5));
  result("write world", write(fds[1], ", world", 7));
  poll_one("read end with data", fds[0], POLLIN);
  char buf[64] = {0};
  result("read 3", read(fds[0], buf, 3));
  printf("got '%s'\n", buf);
  memset(buf, 0, sizeof buf);
  result("read the rest", read(fds[0], buf, sizeof buf));
  printf("got '%s'\n", buf);
  result("read from a write end", read(fds[1], buf, 1));
  result("write to a read end", write(fds[0], "x", 1));

  result("dup3 with a bad flag", dup3(fds[1], 10, 1));
  result("dup3 onto itself", dup3(fds[1], fds[1], 0));
  result("dup3 O_CLOEXEC", dup3(fds[1], 10, O_CLOEXEC));
  result("write through the copy", write(10, "copy", 4));
  close(fds[1]);
  poll_one("read end, one writer left", fds[0], POLLIN);
  close(10);
  poll_one("read end, no writer", fds[0], POLLIN);
  memset(buf, 0, sizeof buf);
  result("read the copy's bytes", read(fds[0], buf, sizeof buf));
  printf("got '%s'\n", buf);
  result("read at end of file", read(fds[0], buf, sizeof buf));
  close(fds[0]);

  result("pipe2 O_NONBLOCK", pipe2(fds, O_NONBLOCK | O_CLOEXEC));
  printf("flags nonblocking: %d\n", (fcntl(fds[0], F_GETFL) & O_NONBLOCK) != 0);
  result("read an empty non-blocking pipe", read(fds[0], buf, 1));
  result("pipe2 with a bad flag", pipe2(fds, 1));
  long total = 0;
  for (;;) {
    static char block[4096];
    ssize_t n = write(fds[1], block, sizeof block);
    if (n < 0) break;
    total += n;
  }
  printf("a full pipe holds %ld bytes, then: %s\n", total, strerror(errno));
  poll_one("full write end", fds[1], POLLOUT);
  close(fds[0]);
  signal(SIGPIPE, SIG_IGN);
  poll_one("write end, no reader", fds[1], POLLOUT);
  result("write with no reader", write(fds[1], "x", 1));
  close(fds[1]);

  pipe(fds);
  FILE *in = fdopen(fds[0], "r"), *out = fdopen(fds[1], "w");
  fprintf(out, "line %d\nline %d\n", 1, 2);
  fclose(out);
  char line[32];
  while (fgets(line, sizeof line, in)) printf("stdio read: %s", line);
  fclose(in);

  pipe(thread_pipe);
  pthread_t thread;
  pthread_create(&thread, NULL, writer, NULL);
  long received = 0, reads = 0;
  for (;;) {
    char chunk[8192];
    ssize_t n = read(thread_pipe[0], chunk, sizeof chunk);
    if (n <= 0) break;
    received += n;
    reads++;
  }
  void *written;
  pthread_join(thread, &written);
  printf("a thread wrote %ld bytes in one write, main read %ld (%s reads)\n", (long)written, received, reads > 1 ? "several" : "one");
  close(thread_pipe[0]);
  return 0;
}
