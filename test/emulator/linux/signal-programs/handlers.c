// Signal handlers of one thread: actions (old ones returned), masks, pending sets, the order of nested deliveries,
// SA_RESETHAND, SA_NODEFER, ignored signals, kill and raise. Prints what happens; qemu-arm is the reference.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int order[16];
static volatile int taken;

static void note(int signo) { if (taken < 16) order[taken++] = signo; }

static void print_order(const char *what) {
  printf("%s:", what);
  for (int i = 0; i < taken; i++) printf(" %s", order[i] == SIGUSR1 ? "USR1" : order[i] == SIGUSR2 ? "USR2" : order[i] == SIGTERM ? "TERM" : "?");
  printf("\n");
  taken = 0;
}

static volatile int info_signo, info_code, info_pid_is_self, uc_seen;

static void with_info(int signo, siginfo_t *info, void *uc) {
  note(signo);
  info_signo = info->si_signo;
  info_code = info->si_code;
  info_pid_is_self = info->si_pid == getpid();
  uc_seen = uc != NULL;
}

static void plain(int signo) { note(signo); }

static char values[256];
static void queued(int signo, siginfo_t *info, void *uc) {
  (void)uc;
  size_t n = strlen(values);
  snprintf(values + n, sizeof values - n, " %s=%d(code %d)", signo == SIGUSR1 ? "USR1" : "RTMIN+2", info->si_value.sival_int, info->si_code);
}

/** USR1's handler raises USR2, which its sa_mask blocks: USR2 runs once USR1's handler returns. */
static void raises_usr2(int signo) {
  note(signo);
  raise(SIGUSR2);
  note(signo);
}

static volatile int depth;
static void recurses(int signo) {
  note(signo);
  if (++depth < 3) raise(signo);
}

static void set(int signo, void (*handler)(int), int flags, const int *masked) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  for (; masked && *masked; masked++) sigaddset(&sa.sa_mask, *masked);
  if (sigaction(signo, &sa, NULL) != 0) perror("sigaction");
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = with_info;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, &old);
  printf("old action of SIGUSR1: %s\n", old.sa_handler == SIG_DFL ? "SIG_DFL" : "other");
  sigaction(SIGUSR1, &sa, &old);
  printf("old action now: %s, SA_SIGINFO %s\n", old.sa_sigaction == with_info ? "with_info" : "other", old.sa_flags & SA_SIGINFO ? "set" : "clear");

  int r = raise(SIGUSR1);
  printf("raise: %d, handler saw signo %d, si_code %d (SI_TKILL %d), si_pid is ours: %d, ucontext: %d\n", r, info_signo, info_code, SI_TKILL, info_pid_is_self, uc_seen);
  print_order("after raise");
  r = kill(getpid(), SIGUSR1);
  printf("kill: %d, si_code %d (SI_USER %d), si_pid is ours: %d\n", r, info_code, SI_USER, info_pid_is_self);
  print_order("after kill");

  // Blocked: pending until unblocked, then delivered before sigprocmask returns.
  set(SIGUSR2, plain, 0, NULL);
  sigset_t block, pending, was;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR2);
  sigprocmask(SIG_BLOCK, &block, &was);
  printf("SIGUSR2 blocked before: %d\n", sigismember(&was, SIGUSR2));
  raise(SIGUSR2);
  sigpending(&pending);
  printf("pending while blocked: USR2 %d USR1 %d\n", sigismember(&pending, SIGUSR2), sigismember(&pending, SIGUSR1));
  print_order("while blocked");
  sigprocmask(SIG_UNBLOCK, &block, NULL);
  print_order("after unblock");
  sigpending(&pending);
  printf("pending after: USR2 %d\n", sigismember(&pending, SIGUSR2));

  // Several pending at once: each unblocked one gets a frame; the last frame built runs first.
  set(SIGUSR1, plain, 0, NULL);
  set(SIGTERM, plain, 0, NULL);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, NULL);
  raise(SIGTERM);
  raise(SIGUSR2);
  raise(SIGUSR1);
  raise(SIGUSR1);  // a standard signal is pending once
  sigprocmask(SIG_SETMASK, &was, NULL);
  print_order("three unblocked together");

  // A handler's sa_mask holds back what it raises until it returns.
  int usr2[] = { SIGUSR2, 0 };
  set(SIGUSR1, raises_usr2, 0, usr2);
  raise(SIGUSR1);
  print_order("USR1 masking USR2");
  // Without it, USR2 interrupts USR1's handler at once.
  set(SIGUSR1, raises_usr2, 0, NULL);
  raise(SIGUSR1);
  print_order("USR1 not masking USR2");

  // SA_NODEFER: the handler may be interrupted by its own signal.
  set(SIGUSR1, recurses, SA_NODEFER, NULL);
  depth = 0;
  raise(SIGUSR1);
  print_order("SA_NODEFER");
  // Without it, the signal stays pending while its handler runs: one after the other.
  set(SIGUSR1, recurses, 0, NULL);
  depth = 0;
  raise(SIGUSR1);
  print_order("deferred");

  // SA_RESETHAND: one delivery, then SIG_DFL.
  set(SIGUSR2, plain, SA_RESETHAND, NULL);
  raise(SIGUSR2);
  sigaction(SIGUSR2, NULL, &old);
  print_order("SA_RESETHAND");
  printf("SIGUSR2's action after it: %s\n", old.sa_handler == SIG_DFL ? "SIG_DFL" : "other");

  // Ignored: explicitly, and by default.
  signal(SIGUSR1, SIG_IGN);
  printf("raise of an ignored USR1: %d\n", raise(SIGUSR1));
  printf("default-ignored SIGCHLD, SIGURG, SIGWINCH: %d %d %d\n", raise(SIGCHLD), raise(SIGURG), raise(SIGWINCH));
  // Ignoring a pending signal discards it.
  set(SIGUSR2, plain, 0, NULL);
  sigprocmask(SIG_BLOCK, &block, NULL);
  raise(SIGUSR2);
  signal(SIGUSR2, SIG_IGN);
  sigpending(&pending);
  printf("pending after SIG_IGN: USR2 %d\n", sigismember(&pending, SIGUSR2));
  sigprocmask(SIG_SETMASK, &was, NULL);
  print_order("nothing ran");

  // What cannot be: SIGKILL's action, a bad signal number, a bad how.
  errno = 0;
  printf("sigaction(SIGKILL): %d %s\n", sigaction(SIGKILL, &sa, NULL), strerror(errno));
  errno = 0;
  printf("sigaction(65): %d %s\n", (int)syscall(SYS_rt_sigaction, 65, NULL, NULL, 8), strerror(errno));
  errno = 0;
  printf("rt_sigprocmask with sigsetsize 4: %d %s\n", (int)syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, NULL, 4), strerror(errno));
  errno = 0;
  printf("sigprocmask(how 7): %d %s\n", (int)syscall(SYS_rt_sigprocmask, 7, &block, NULL, 8), strerror(errno));
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  sigprocmask(SIG_SETMASK, NULL, &was);
  printf("SIGKILL and SIGSTOP cannot be blocked: %d %d; SIGTERM is: %d\n", sigismember(&was, SIGKILL), sigismember(&was, SIGSTOP), sigismember(&was, SIGTERM));
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);

  // sigqueue's value reaches the handler; real-time signals queue, each delivered in the order sent.
  sa.sa_sigaction = queued;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGRTMIN + 2, &sa, NULL);
  sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 1234 });
  sigset_t rt;
  sigemptyset(&rt);
  sigaddset(&rt, SIGRTMIN + 2);
  sigaddset(&rt, SIGUSR1);
  sigprocmask(SIG_BLOCK, &rt, NULL);
  for (int i = 1; i <= 3; i++) sigqueue(getpid(), SIGRTMIN + 2, (union sigval){ .sival_int = i });
  sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 5 });
  sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 6 });
  sigprocmask(SIG_UNBLOCK, &rt, NULL);
  printf("queued:%s\n", values);

  // A write to a pipe without a reader raises SIGPIPE in the writer, and fails with EPIPE once its handler returns.
  set(SIGPIPE, plain, 0, NULL);
  int fds[2];
  pipe(fds);
  close(fds[0]);
  errno = 0;
  long written = write(fds[1], "x", 1);
  printf("write without a reader: %ld %s, SIGPIPE handled: %d\n", written, strerror(errno), taken == 1 && order[0] == SIGPIPE);
  taken = 0;

  // The default action of SIGUSR1 ends the process: status 128 + 10.
  signal(SIGUSR1, SIG_DFL);
  printf("raising SIGUSR1 with its default action\n");
  raise(SIGUSR1);
  printf("not reached\n");
  return 0;
}
