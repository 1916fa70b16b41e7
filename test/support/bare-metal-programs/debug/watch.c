/* The data breakpoints' program (test/emulator/cpu/watchpoints.test.ts, test/debugger/kernel-watchpoints.test.ts): a
   loop of 1000 passes stores to `beside` on every pass and adds 3 to `watched` on every 100th (10 stores, 0 -> 30),
   both in the same page; then `watched` is loaded once more and both are printed. */
#include "../runtime.h"

volatile u32 beside;
volatile u32 watched;
u32 loaded;

u32 on_exception(u32 kind, struct frame *f) {
  put("unexpected exception", kind);
  put("at", f->pc);
  power_off();
}

int main(void) {
  for (u32 i = 0; i < 1000; i++) {
    beside = beside + i;
    if (i % 100 == 0) watched = watched + 3;
  }
  loaded = watched;
  put("watched", loaded);
  put("beside", beside);
  return 0;
}
