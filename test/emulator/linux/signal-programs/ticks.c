// A periodic SIGALRM counted by its handler while the program computes, blocking it in turns: a run whose signal
// state (the handler, the mask, a pending tick, the timer) a snapshot must hold.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static volatile unsigned ticks;
static void tick(int signo) { (void)signo; ticks++; }

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = tick;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval every = { { 0, 7 }, { 0, 7 } };
  setitimer(ITIMER_REAL, &every, NULL);
  sigset_t alarm;
  sigemptyset(&alarm);
  sigaddset(&alarm, SIGALRM);
  volatile unsigned hash = 0;
  for (unsigned i = 0; ticks < 400; i++) {
    hash = hash * 31 + i + ticks;
    if ((i & 0x3ff) == 0) sigprocmask(i & 0x400 ? SIG_UNBLOCK : SIG_BLOCK, &alarm, NULL);
  }
  printf("%u ticks, hash %08x\n", ticks, hash);
  return 0;
}
