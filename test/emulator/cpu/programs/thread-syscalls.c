// The thread system calls under pthreads, called directly: futex wait/wake, requeue and compare-and-requeue (private
// variants), relative and absolute timeouts on both clocks; set_tid_address and the word cleared and woken at a
// thread's exit; exit of one thread (the others go on) vs exit_group; gettid and getpid in threads; tgkill's checks;
// and the blocking waits (nanosleep, clock_nanosleep, poll with no descriptors) lasting as long as asked. Prints only
// what does not depend on the interleaving or the host's speed.
//   thread-syscalls        all of it; ends by the main thread's pthread_exit and a worker's exit_group(4)
//   thread-syscalls waits  only long blocking waits (10 s nanosleep, 5 s poll, 3 s futex timeout), printing the time
//                          each took on CLOCK_MONOTONIC (dmalab skips ahead through them)
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/** The timespec of the 32-bit futex call (two longs), whatever size glibc's time_t has. */
struct futex_timespec {
  long tv_sec;
  long tv_nsec;
};

static long futex(volatile int *word, int op, int value, const struct futex_timespec *timeout, volatile int *word2, int value3) {
  return syscall(SYS_futex, word, op, value, timeout, word2, value3);
}

/** futex's result as a word: the count, or the errno's name. */
static const char *outcome(long r) {
  static char text[32];
  if (r >= 0) {
    snprintf(text, sizeof text, "%ld", r);
    return text;
  }
  switch (errno) {
    case EAGAIN: return "EAGAIN";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EINVAL: return "EINVAL";
    case ESRCH: return "ESRCH";
    default: return strerror(errno);
  }
}

static int64_t now_ns(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static struct futex_timespec futex_time(int64_t ns) {
  return (struct futex_timespec){ .tv_sec = (long)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000) };
}

static const char *at_least(int64_t elapsed_ns, int64_t ms) {
  return elapsed_ns >= ms * 1000000 ? "at least" : "LESS THAN";
}

static void timeouts(void) {
  volatile int word = 1;
  printf("FUTEX_WAIT on a word that changed: %s\n", outcome(futex(&word, FUTEX_WAIT, 0, NULL, NULL, 0)));
  printf("FUTEX_WAKE with nobody waiting: %s\n", outcome(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0)));
  printf("FUTEX_WAIT_BITSET with bitset 0: %s\n", outcome(futex(&word, FUTEX_WAIT_BITSET, 1, NULL, NULL, 0)));

  struct futex_timespec relative = futex_time(5000000);
  int64_t start = now_ns(CLOCK_MONOTONIC);
  long r = futex(&word, FUTEX_WAIT_PRIVATE, 1, &relative, NULL, 0);
  printf("FUTEX_WAIT_PRIVATE for 5 ms: %s after %s 5 ms\n", outcome(r), at_least(now_ns(CLOCK_MONOTONIC) - start, 5));

  int64_t deadline = now_ns(CLOCK_MONOTONIC) + 7000000;
  struct futex_timespec absolute = futex_time(deadline);
  r = futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 1, &absolute, NULL, FUTEX_BITSET_MATCH_ANY);
  printf("FUTEX_WAIT_BITSET until CLOCK_MONOTONIC + 7 ms: %s, %s\n", outcome(r), now_ns(CLOCK_MONOTONIC) >= deadline ? "the deadline passed" : "BEFORE the deadline");

  deadline = now_ns(CLOCK_REALTIME) + 3000000;
  absolute = futex_time(deadline);
  r = futex(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 1, &absolute, NULL, FUTEX_BITSET_MATCH_ANY);
  printf("FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME until CLOCK_REALTIME + 3 ms: %s, %s\n", outcome(r), now_ns(CLOCK_REALTIME) >= deadline ? "the deadline passed" : "BEFORE the deadline");

  struct futex_timespec past = futex_time(now_ns(CLOCK_MONOTONIC) - 1000000);
  printf("FUTEX_WAIT_BITSET with a deadline already past: %s\n", outcome(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 1, &past, NULL, FUTEX_BITSET_MATCH_ANY)));
}

static void sleeps(void) {
  int64_t start = now_ns(CLOCK_MONOTONIC);
  struct timespec request = { .tv_sec = 0, .tv_nsec = 12000000 };
  int r = nanosleep(&request, NULL);
  printf("nanosleep 12 ms: %d, %s 12 ms passed\n", r, at_least(now_ns(CLOCK_MONOTONIC) - start, 12));

  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_nsec += 8000000;
  if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
  r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
  int64_t woke = now_ns(CLOCK_MONOTONIC);
  printf("clock_nanosleep TIMER_ABSTIME + 8 ms: %d, %s\n", r, woke >= (int64_t)until.tv_sec * 1000000000 + until.tv_nsec ? "the instant passed" : "BEFORE the instant");

  start = now_ns(CLOCK_MONOTONIC);
  r = poll(NULL, 0, 9);
  printf("poll of no descriptors for 9 ms: %d, %s 9 ms passed\n", r, at_least(now_ns(CLOCK_MONOTONIC) - start, 9));
}

static volatile int requeue_from, requeue_to;
static volatile int waiter_results[3];

static void *requeue_waiter(void *arg) {
  int i = (int)(intptr_t)arg;
  waiter_results[i] = (int)futex(&requeue_from, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  return NULL;
}

static void requeue(void) {
  pthread_t waiters[3];
  for (int i = 0; i < 3; i++) pthread_create(&waiters[i], NULL, requeue_waiter, (void *)(intptr_t)i);
  // Move every waiter to the second word as each arrives: the counts add up to 3 whatever the interleaving.
  printf("FUTEX_CMP_REQUEUE with a stale value: %s\n", outcome(futex(&requeue_from, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)INT32_MAX, &requeue_to, 1)));
  long moved = 0;
  for (int rounds = 0; moved < 3 && rounds < 100000; rounds++) {
    long r = futex(&requeue_from, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)INT32_MAX, &requeue_to, 0);
    if (r < 0) break;
    moved += r;
    if (moved < 3) sched_yield();
  }
  printf("FUTEX_CMP_REQUEUE moved %ld waiters (none woken)\n", moved);
  printf("FUTEX_WAKE on the first word: %s\n", outcome(futex(&requeue_from, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0)));
  // Back: one woken, one moved; the third stays.
  printf("FUTEX_REQUEUE back, waking 1 and moving 1: %s\n", outcome(futex(&requeue_to, FUTEX_REQUEUE_PRIVATE, 1, (void *)1, &requeue_from, 0)));
  printf("FUTEX_WAKE on the first word: %s\n", outcome(futex(&requeue_from, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0)));
  printf("FUTEX_WAKE on the second word: %s\n", outcome(futex(&requeue_to, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0)));
  for (int i = 0; i < 3; i++) pthread_join(waiters[i], NULL);
  printf("the waiters' FUTEX_WAIT returned %d %d %d\n", waiter_results[0], waiter_results[1], waiter_results[2]);
}

/** Nonzero until the kernel clears it at the exit of the thread that gave it to set_tid_address. */
static volatile int tid_word = -1;
static volatile int set_tid_result, thread_tid;
static pid_t pid;

static void *clears_its_word(void *arg) {
  (void)arg;
  thread_tid = (int)syscall(SYS_gettid);
  set_tid_result = (int)syscall(SYS_set_tid_address, &tid_word);
  syscall(SYS_exit, 7);  // this thread only
  return NULL;
}

static volatile int parked;

static void *parks(void *arg) {
  (void)arg;
  while (parked == 0) futex(&parked, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  return NULL;
}

static void identities(void) {
  pthread_t t;
  pthread_create(&t, NULL, clears_its_word, NULL);
  // As pthread_join does: wait until the kernel zeroes the word at the thread's exit.
  for (int v; (v = tid_word) != 0;) futex(&tid_word, FUTEX_WAIT, v, NULL, NULL, 0);
  printf("set_tid_address returned the thread's id: %s; its word cleared at its exit(7); the process goes on\n",
         set_tid_result == thread_tid ? "yes" : "no");
  printf("main: gettid %s getpid\n", syscall(SYS_gettid) == pid ? "==" : "!=");
  // The word is cleared before the thread is gone from the kernel's tables: ask until it is (at most a second).
  long gone = 0;
  for (int rounds = 0; (gone = syscall(SYS_tgkill, pid, thread_tid, 0)) == 0 && rounds < 1000; rounds++) {
    struct timespec ms = { .tv_sec = 0, .tv_nsec = 1000000 };
    nanosleep(&ms, NULL);
  }
  printf("tgkill of the exited thread: %s\n", outcome(gone));

  pthread_t other;
  pthread_create(&other, NULL, parks, NULL);
  printf("tgkill(pid, own tid, 0): %s\n", outcome(syscall(SYS_tgkill, pid, syscall(SYS_gettid), 0)));
  printf("tgkill of a thread of another thread group: %s\n", outcome(syscall(SYS_tgkill, pid + 100000, syscall(SYS_gettid), 0)));
  printf("tgkill of thread 0: %s\n", outcome(syscall(SYS_tgkill, pid, 0, 0)));
  printf("pthread_kill(parked thread, 0): %s\n", pthread_kill(other, 0) == 0 ? "0" : "error");
  parked = 1;
  futex(&parked, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  pthread_join(other, NULL);
}

static volatile int go;

static void *outlives_main(void *arg) {
  (void)arg;
  while (go == 0) futex(&go, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  struct timespec request = { .tv_sec = 0, .tv_nsec = 20000000 };
  nanosleep(&request, NULL);  // the main thread has ended by now
  printf("worker after the main thread's pthread_exit: getpid %s, gettid %s getpid\n",
         getpid() == pid ? "unchanged" : "CHANGED", syscall(SYS_gettid) == pid ? "==" : "!=");
  fflush(stdout);
  syscall(SYS_exit_group, 4);
  return NULL;
}

static void long_waits(void) {
  volatile int word = 0;
  int64_t start = now_ns(CLOCK_MONOTONIC);
  struct timespec ten = { .tv_sec = 10, .tv_nsec = 0 };
  nanosleep(&ten, NULL);
  int64_t slept = now_ns(CLOCK_MONOTONIC);
  poll(NULL, 0, 5000);
  int64_t polled = now_ns(CLOCK_MONOTONIC);
  struct futex_timespec three = futex_time(3000000000LL);
  long r = futex(&word, FUTEX_WAIT_PRIVATE, 0, &three, NULL, 0);
  int64_t waited = now_ns(CLOCK_MONOTONIC);
  printf("nanosleep 10 s: %lld ms\npoll 5 s: %lld ms\nfutex wait 3 s: %s after %lld ms\n", (long long)(slept - start) / 1000000,
         (long long)(polled - slept) / 1000000, outcome(r), (long long)(waited - polled) / 1000000);
}

int main(int argc, char **argv) {
  pid = getpid();
  if (argc > 1 && strcmp(argv[1], "waits") == 0) {
    long_waits();
    return 0;
  }
  timeouts();
  sleeps();
  requeue();
  identities();
  pthread_t worker;
  pthread_create(&worker, NULL, outlives_main, NULL);
  go = 1;
  futex(&go, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  fflush(stdout);
  pthread_exit(NULL);  // the process lives on in the worker, which ends it with exit_group(4)
}
