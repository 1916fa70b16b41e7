// Signals between threads: pthread_kill to a thread waiting in a read (EINTR, its handler runs on that thread), a
// process-wide kill taken by the one thread that does not block it, a sigwait thread, the mask a new thread
// inherits. Prints what happens; qemu-arm is the reference.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile pid_t handled_on;
static volatile int handled;
static void on_usr1(int signo) {
  (void)signo;
  handled_on = syscall(SYS_gettid);
  handled++;
}

static int fds[2];
static volatile int reader_done;
static volatile pid_t reader_tid;
static void *reader(void *arg) {
  (void)arg;
  reader_tid = syscall(SYS_gettid);
  char c;
  errno = 0;
  long r = read(fds[0], &c, 1);
  printf("reader: read %ld (%s), handler ran on the reader: %s\n", r, r < 0 ? strerror(errno) : "data",
         handled_on == reader_tid ? "yes" : "no");
  reader_done = 1;
  return NULL;
}

static volatile int spinning = 1;
static void *spinner(void *arg) {
  (void)arg;
  sigset_t none;
  sigemptyset(&none);
  pthread_sigmask(SIG_SETMASK, &none, NULL);
  reader_tid = syscall(SYS_gettid);
  while (spinning) sched_yield();
  return NULL;
}

static void *waiter(void *arg) {
  sigset_t *set = arg;
  int signo = 0;
  sigwait(set, &signo);
  printf("sigwait thread got %s\n", signo == SIGUSR2 ? "SIGUSR2" : "another signal");
  return NULL;
}

static void *reports_mask(void *arg) {
  (void)arg;
  sigset_t now;
  pthread_sigmask(SIG_SETMASK, NULL, &now);
  printf("new thread inherits the creator's mask: USR2 blocked %d\n", sigismember(&now, SIGUSR2));
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);

  // A thread in a blocking read, signalled by another: the read fails with EINTR on that thread.
  pipe(fds);
  pthread_t t;
  pthread_create(&t, NULL, reader, NULL);
  while (reader_tid == 0) sched_yield();
  // Until its read has ended: a signal that came before the read started only ran the handler.
  while (!reader_done) {
    pthread_kill(t, SIGUSR1);
    usleep(20000);
  }
  pthread_join(t, NULL);
  printf("main: handled: %s\n", handled > 0 ? "yes" : "no");

  // With SA_RESTART the read goes on and gets what is written next.
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  reader_tid = 0;
  handled_on = 0;
  pthread_create(&t, NULL, reader, NULL);
  while (reader_tid == 0) sched_yield();
  usleep(20000);
  int before = handled;
  pthread_kill(t, SIGUSR1);
  while (handled == before) sched_yield();
  write(fds[1], "x", 1);
  pthread_join(t, NULL);

  // kill() of the process while main blocks the signal: the thread that does not block it takes it.
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL);
  reader_tid = 0;
  handled_on = 0;
  pthread_create(&t, NULL, spinner, NULL);
  while (reader_tid == 0) sched_yield();
  before = handled;
  kill(getpid(), SIGUSR1);
  while (handled == before) sched_yield();
  printf("process-wide SIGUSR1 taken by the thread that does not block it: %s\n", handled_on == reader_tid ? "yes" : "no");
  spinning = 0;
  pthread_join(t, NULL);
  pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);

  // A thread that waits in sigwait for what every thread blocks.
  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &usr2, NULL);
  pthread_create(&t, NULL, reports_mask, NULL);
  pthread_join(t, NULL);
  pthread_create(&t, NULL, waiter, &usr2);
  usleep(20000);
  kill(getpid(), SIGUSR2);
  pthread_join(t, NULL);

  // SIGTERM with its default action, sent to a thread waiting in a read, ends the whole process: status 128 + 15.
  reader_tid = 0;
  pthread_create(&t, NULL, reader, NULL);
  while (reader_tid == 0) sched_yield();
  usleep(20000);
  printf("main sends SIGTERM to the reader\n");
  pthread_kill(t, SIGTERM);
  sleep(2);
  printf("not reached: the process ended\n");
  return 0;
}
