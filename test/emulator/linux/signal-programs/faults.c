// Handled faults: SIGSEGV for a load from an unmapped page (SEGV_MAPERR) and a store to a read-only one
// (SEGV_ACCERR) with the faulting address, left with siglongjmp; a handler that moves the PC past the faulting
// instruction through its ucontext; SIGILL for an undefined instruction; abort() with a SIGABRT handler.
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile int code;
static volatile void *address;

static void on_fault(int signo, siginfo_t *info, void *uc) {
  (void)uc;
  code = info->si_code;
  address = info->si_addr;
  siglongjmp(back, signo);
}

/** Steps over the faulting load (a 4-byte ARM instruction: the function below is ARM state) with r0 = 42. */
static void skip_load(int signo, siginfo_t *info, void *context) {
  (void)signo;
  (void)info;
  ucontext_t *uc = context;
  uc->uc_mcontext.arm_pc += 4;
  uc->uc_mcontext.arm_r0 = 42;
}

extern int load_from(const int *p);
__asm__(".syntax unified\n.arm\n.global load_from\n.type load_from, %function\nload_from:\n  ldr r0, [r0]\n  bx lr\n");

static void on_abort(int signo) {
  (void)signo;
  printf("SIGABRT handler ran\n");
}

static void handle(int signo, void (*action)(int, siginfo_t *, void *)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = action;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(signo, &sa, NULL);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  handle(SIGSEGV, on_fault);
  volatile int *nowhere = (int *)0x10;
  int signo = sigsetjmp(back, 1);
  if (signo == 0) printf("load from 0x10: %d\n", *nowhere);
  else printf("load from 0x10: signal %d, si_code %d (SEGV_MAPERR %d), si_addr %p\n", signo, code, SEGV_MAPERR, address);

  int *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  signo = sigsetjmp(back, 1);
  if (signo == 0) {
    page[3] = 1;
    printf("store to a read-only page: no fault\n");
  } else {
    printf("store to a read-only page: signal %d, si_code %d (SEGV_ACCERR %d), at its offset 12: %s\n", signo, code, SEGV_ACCERR, address == (void *)(page + 3) ? "yes" : "no");
  }
  // siglongjmp restored the mask that sigsetjmp saved: SIGSEGV is deliverable again.
  sigset_t now;
  sigprocmask(SIG_SETMASK, NULL, &now);
  printf("SIGSEGV blocked after siglongjmp: %d\n", sigismember(&now, SIGSEGV));

  handle(SIGSEGV, skip_load);
  printf("load through a handler that skips it: %d\n", load_from((const int *)0x20));

  handle(SIGILL, on_fault);
  signo = sigsetjmp(back, 1);
  if (signo == 0) {
#ifdef __thumb__
    __asm__ volatile(".inst.n 0xdeff" ::: "memory");  // UDF #255
#else
    __asm__ volatile(".inst 0xe7f000f0" ::: "memory");  // UDF #0
#endif
    printf("undefined instruction: no fault\n");
  } else {
    printf("undefined instruction: signal %d, si_code %d (ILL_ILLOPC %d)\n", signo, code, ILL_ILLOPC);
  }

  signal(SIGABRT, on_abort);
  printf("abort()\n");
  abort();
}
