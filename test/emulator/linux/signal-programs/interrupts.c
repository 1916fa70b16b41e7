// Signals that end waits: SIGALRM from alarm/setitimer on blocking reads (pipe, eventfd), nanosleep, poll, futex,
// pause, sigsuspend and sigtimedwait, with and without SA_RESTART; an alternate stack; sigreturn restoring the
// registers and flags of code a timer interrupted. Prints what happens; qemu-arm is the reference.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile int alarms;
static int feed_fd = -1;
static volatile int *futex_word;

static void on_alarm(int signo) {
  (void)signo;
  alarms++;
  if (feed_fd >= 0) {
    // What the restarted call then reads.
    uint64_t one = 1;
    if (write(feed_fd, &one, feed_fd == 99 ? 1 : sizeof one) < 0) perror("write");
  }
  if (futex_word) *futex_word = 1;
}

static void handle(int signo, void (*handler)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  sigaction(signo, &sa, NULL);
}

/** One SIGALRM in 20 ms. */
static void arm_timer(void) {
  struct itimerval t = { .it_interval = { 0, 0 }, .it_value = { 0, 20000 } };
  setitimer(ITIMER_REAL, &t, NULL);
}

static const char *result(long r) {
  static char text[64];
  if (r < 0) snprintf(text, sizeof text, "-1 %s", strerror(errno));
  else snprintf(text, sizeof text, "%ld", r);
  return text;
}

static void reads(int restart) {
  const char *how = restart ? "SA_RESTART" : "no SA_RESTART";
  handle(SIGALRM, on_alarm, restart ? SA_RESTART : 0);
  int fds[2];
  pipe(fds);
  feed_fd = fds[1];
  char byte = 0;
  arm_timer();
  errno = 0;
  long r = read(fds[0], &byte, 1);
  printf("pipe read, %s: %s (alarms %d)\n", how, result(r), alarms);
  close(fds[0]);
  close(fds[1]);

  int efd = eventfd(0, 0);
  feed_fd = efd;
  uint64_t value = 0;
  arm_timer();
  errno = 0;
  r = read(efd, &value, sizeof value);
  printf("eventfd read, %s: %s, value %llu (alarms %d)\n", how, result(r), (unsigned long long)value, alarms);
  close(efd);
  feed_fd = -1;

  arm_timer();
  struct timespec request = { 10, 0 }, left = { 0, 0 };
  errno = 0;
  r = nanosleep(&request, &left);
  printf("nanosleep of 10 s, %s: %s, time left between 9 and 10 s: %s\n", how, result(r), left.tv_sec >= 9 && left.tv_sec < 10 ? "yes" : "no");

  int pfds[2];
  pipe(pfds);
  struct pollfd p = { .fd = pfds[0], .events = POLLIN };
  arm_timer();
  errno = 0;
  r = poll(&p, 1, -1);
  printf("poll, %s: %s\n", how, result(r));
  close(pfds[0]);
  close(pfds[1]);

  // FUTEX_WAIT without a timeout restarts with SA_RESTART: the handler changed the word, so the restart fails with EAGAIN.
  volatile int word = 0;
  futex_word = &word;
  arm_timer();
  errno = 0;
  r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  printf("futex wait, %s: %s\n", how, result(r));
  word = 0;
  struct timespec ten = { 10, 0 };
  arm_timer();
  errno = 0;
  r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ten, NULL, 0);
  printf("futex wait with a timeout, %s: %s\n", how, result(r));
  futex_word = NULL;
}

static volatile int cpu_timer_signal;
static volatile unsigned spin_count;
static void on_cpu_timer(int signo) { cpu_timer_signal = signo; }

static volatile int usr1s;
static void on_usr1(int signo) { (void)signo; usr1s++; }

static char alt[16384];
static volatile int on_alt;
static void where_am_i(int signo) {
  (void)signo;
  char here;
  on_alt = &here >= alt && &here < alt + sizeof alt;
}

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
static volatile int disabled_in_handler;
static void reports_alt_stack(int signo) {
  where_am_i(signo);
  stack_t now;
  sigaltstack(NULL, &now);
  disabled_in_handler = (now.ss_flags & SS_DISABLE) != 0;
}

// Interrupted code: a loop that spins on a flag with r4-r11 and the flags' register holding known values, which a
// timer's handler (clobbering what a C function may) must not change. ARM state, called from either.
extern int spin_keeps_registers(volatile int *flag);
__asm__(
    ".syntax unified\n"
    ".arm\n"
    ".global spin_keeps_registers\n"
    ".type spin_keeps_registers, %function\n"
    "spin_keeps_registers:\n"
    "  push {r4-r11, lr}\n"
    "  ldr r4, =0x44444444\n  ldr r5, =0x55555555\n  ldr r6, =0x66666666\n  ldr r7, =0x77777777\n"
    "  ldr r8, =0x88888888\n  ldr r9, =0x99999999\n  ldr r10, =0xaaaaaaaa\n  ldr r11, =0xbbbbbbbb\n"
    "  ldr r12, =0xcccccccc\n"
    "1: ldr r1, [r0]\n"
    "  msr APSR_nzcvq, #0xa0000000\n"  // N and C set
    "  cmp r1, #0\n"
    "  beq 1b\n"
    "  mov r0, #0\n"
    "  ldr r1, =0x44444444\n  cmp r4, r1\n  orrne r0, r0, #1\n"
    "  ldr r1, =0x55555555\n  cmp r5, r1\n  orrne r0, r0, #2\n"
    "  ldr r1, =0x66666666\n  cmp r6, r1\n  orrne r0, r0, #4\n"
    "  ldr r1, =0x77777777\n  cmp r7, r1\n  orrne r0, r0, #8\n"
    "  ldr r1, =0x88888888\n  cmp r8, r1\n  orrne r0, r0, #16\n"
    "  ldr r1, =0x99999999\n  cmp r9, r1\n  orrne r0, r0, #32\n"
    "  ldr r1, =0xaaaaaaaa\n  cmp r10, r1\n  orrne r0, r0, #64\n"
    "  ldr r1, =0xbbbbbbbb\n  cmp r11, r1\n  orrne r0, r0, #128\n"
    "  ldr r1, =0xcccccccc\n  cmp r12, r1\n  orrne r0, r0, #256\n"
    "  pop {r4-r11, lr}\n"
    "  bx lr\n"
    ".ltorg\n");

static volatile int spin_flag;
static volatile double handler_float;
static void sets_flag(int signo) {
  (void)signo;
  handler_float = handler_float * 1.5 + 2.0;  // uses the VFP registers (armhf)
  spin_flag = 1;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  reads(0);
  reads(1);

  // pause and sigsuspend return -1 EINTR once a handler ran; sigsuspend's mask applies only while it waits.
  handle(SIGALRM, on_alarm, SA_RESTART);
  arm_timer();
  errno = 0;
  printf("pause: %s\n", result(pause()));
  sigset_t block, during, now;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigprocmask(SIG_BLOCK, &block, NULL);
  handle(SIGUSR1, on_usr1, 0);
  raise(SIGUSR1);
  printf("USR1 blocked and pending, handled: %d\n", usr1s);
  sigemptyset(&during);
  errno = 0;
  printf("sigsuspend with an empty mask: %s, USR1 handled: %d\n", result(sigsuspend(&during)), usr1s);
  sigprocmask(SIG_SETMASK, NULL, &now);
  printf("USR1 blocked again after sigsuspend: %d\n", sigismember(&now, SIGUSR1));

  // ppoll with a mask that lets the pending USR1 in: EINTR at once, its handler run, the mask back afterwards.
  raise(SIGUSR1);
  int pfds[2];
  pipe(pfds);
  struct pollfd pfd = { .fd = pfds[0], .events = POLLIN };
  struct timespec ten = { 10, 0 };
  errno = 0;
  printf("ppoll letting USR1 in: %s, USR1 handled: %d\n", result(ppoll(&pfd, 1, &ten, &during)), usr1s);
  sigprocmask(SIG_SETMASK, NULL, &now);
  printf("USR1 blocked again after ppoll: %d\n", sigismember(&now, SIGUSR1));
  write(pfds[1], "y", 1);
  printf("ppoll with data: %s\n", result(ppoll(&pfd, 1, &ten, &during)));
  close(pfds[0]);
  close(pfds[1]);

  // pselect likewise; select is interrupted by a timer with EINTR, and sees what is ready.
  raise(SIGUSR1);
  pipe(pfds);
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(pfds[0], &readable);
  errno = 0;
  printf("pselect letting USR1 in: %s, USR1 handled: %d\n", result(pselect(pfds[0] + 1, &readable, NULL, NULL, &ten, &during)), usr1s);
  sigprocmask(SIG_SETMASK, NULL, &now);
  printf("USR1 blocked again after pselect: %d\n", sigismember(&now, SIGUSR1));
  arm_timer();
  FD_ZERO(&readable);
  FD_SET(pfds[0], &readable);
  struct timeval tv = { 10, 0 };
  errno = 0;
  printf("select interrupted by the timer: %s\n", result(select(pfds[0] + 1, &readable, NULL, NULL, &tv)));
  write(pfds[1], "z", 1);
  fd_set writable;
  FD_ZERO(&readable);
  FD_ZERO(&writable);
  FD_SET(pfds[0], &readable);
  FD_SET(pfds[1], &readable);
  FD_SET(pfds[1], &writable);
  struct timeval zero = { 0, 0 };
  int n = select(pfds[1] + 1, &readable, &writable, NULL, &zero);
  printf("select with data: %d; read end %d, write end readable %d, writable %d\n", n, FD_ISSET(pfds[0], &readable), FD_ISSET(pfds[1], &readable), FD_ISSET(pfds[1], &writable));
  close(pfds[0]);
  close(pfds[1]);
  FD_ZERO(&readable);
  FD_SET(pfds[0], &readable);
  errno = 0;
  printf("select on a closed descriptor: %s\n", result(select(pfds[0] + 1, &readable, NULL, NULL, &zero)));

  // sigtimedwait takes a blocked signal without a handler running; a timeout is EAGAIN.
  raise(SIGUSR1);
  siginfo_t info;
  int got = sigwaitinfo(&block, &info);
  printf("sigwaitinfo: %d, si_code %d, handled: %d\n", got, info.si_code, usr1s);
  struct timespec short_wait = { 0, 5000000 };
  errno = 0;
  printf("sigtimedwait with nothing pending: %s\n", result(sigtimedwait(&block, &info, &short_wait)));
  sigprocmask(SIG_UNBLOCK, &block, NULL);

  // Alarm's remaining seconds, and a periodic timer.
  alarm(100);
  printf("alarm(0) after alarm(100): %u\n", alarm(0));
  alarms = 0;
  struct itimerval every = { .it_interval = { 0, 10000 }, .it_value = { 0, 10000 } }, got_timer;
  setitimer(ITIMER_REAL, &every, NULL);
  while (alarms < 3) pause();
  getitimer(ITIMER_REAL, &got_timer);
  // (qemu-arm's timer runs on the host's clock: another alarm may come before the line is printed.)
  printf("periodic timer: at least 3 alarms, interval %ld us\n", (long)got_timer.it_interval.tv_usec);
  struct itimerval off = { { 0, 0 }, { 0, 0 } };
  setitimer(ITIMER_REAL, &off, NULL);
  getitimer(ITIMER_REAL, &got_timer);
  printf("disarmed: %ld.%06ld\n", (long)got_timer.it_value.tv_sec, (long)got_timer.it_value.tv_usec);
  errno = 0;
  struct itimerval bad = { { 0, 0 }, { 0, 1000000 } };
  printf("setitimer with 1000000 us: %s\n", result(setitimer(ITIMER_REAL, &bad, NULL)));

  // ITIMER_VIRTUAL and ITIMER_PROF count the CPU time the program uses: a sleep does not bring them closer.
  handle(SIGVTALRM, on_cpu_timer, 0);
  handle(SIGPROF, on_cpu_timer, 0);
  struct itimerval cpu_soon = { { 0, 0 }, { 0, 10000 } }, left;
  setitimer(ITIMER_VIRTUAL, &cpu_soon, NULL);
  struct timespec thirty_ms = { 0, 30000000 };
  nanosleep(&thirty_ms, NULL);
  getitimer(ITIMER_VIRTUAL, &left);
  printf("ITIMER_VIRTUAL still armed after a sleep: %d, fired: %d\n", left.it_value.tv_sec != 0 || left.it_value.tv_usec != 0, cpu_timer_signal);
  while (cpu_timer_signal == 0) spin_count++;
  printf("ITIMER_VIRTUAL fired while the program computed: %s\n", cpu_timer_signal == SIGVTALRM ? "SIGVTALRM" : "another signal");
  cpu_timer_signal = 0;
  setitimer(ITIMER_PROF, &cpu_soon, NULL);
  while (cpu_timer_signal == 0) spin_count++;
  printf("ITIMER_PROF fired: %s\n", cpu_timer_signal == SIGPROF ? "SIGPROF" : "another signal");
  errno = 0;
  printf("setitimer(3): %s\n", result(setitimer(3, &cpu_soon, NULL)));

  // An alternate stack for the handlers that ask for it.
  stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0 }, old_ss;
  sigaltstack(&ss, &old_ss);
  printf("alternate stack before: %s\n", old_ss.ss_flags & SS_DISABLE ? "disabled" : "enabled");
  handle(SIGUSR2, where_am_i, SA_ONSTACK);
  raise(SIGUSR2);
  printf("SA_ONSTACK handler on the alternate stack: %d\n", on_alt);
  handle(SIGUSR2, where_am_i, 0);
  raise(SIGUSR2);
  printf("handler without SA_ONSTACK on it: %d\n", on_alt);
  // SS_AUTODISARM: no alternate stack while its handler runs, the same one again after.
  ss.ss_flags = SS_AUTODISARM;
  sigaltstack(&ss, NULL);
  handle(SIGUSR2, reports_alt_stack, SA_ONSTACK | SA_SIGINFO);
  raise(SIGUSR2);
  sigaltstack(NULL, &old_ss);
  printf("SS_AUTODISARM: disabled in the handler: %d, on it: %d; after: autodisarm %d, disabled %d, same stack %d\n",
         disabled_in_handler, on_alt, (old_ss.ss_flags & SS_AUTODISARM) != 0, (old_ss.ss_flags & SS_DISABLE) != 0, old_ss.ss_sp == alt);
  errno = 0;
  stack_t tiny = { .ss_sp = alt, .ss_size = 100, .ss_flags = 0 };
  printf("sigaltstack of 100 bytes: %s\n", result(sigaltstack(&tiny, NULL)));

  // A timer interrupting a spin loop: the registers and flags are as they were.
  handle(SIGALRM, sets_flag, 0);
  arm_timer();
  int damaged = spin_keeps_registers(&spin_flag);
  printf("registers changed across the interrupting handler: 0x%x\n", damaged);

  // SIGALRM's default action ends the process: status 128 + 14.
  signal(SIGALRM, SIG_DFL);
  arm_timer();
  for (;;) pause();
}
