/* A runaway that never retires another instruction: the vectors moved to an address with no mapping, an UNDEFINED
   instruction's vector fetch takes a prefetch abort, and so does the prefetch abort vector's, forever (as a kernel
   whose vector page is gone). Only the machine's time limit ends it. */
#include "../runtime.h"
#include "nowhere.h"

/* Never called: the vectors it would be reached through are gone. */
u32 on_exception(u32 kind, struct frame *f) {
  put("unexpected exception", kind);
  put("at", f->pc);
  power_off();
}

int main(void) {
  map_all_but_nowhere();
  puts("vectors at nowhere\n");
  MCR(0, 12, 0, 0, NOWHERE);
  ISB();
  __asm__ volatile("udf #0");
  puts("unreachable\n");
  return 0;
}
