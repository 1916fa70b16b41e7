/* A runaway whose handler returns to the instruction that faulted: a load from an address with no mapping takes a data abort,
   and the handler resumes at the load, forever. Only the machine's time limit ends it. */
#include "../runtime.h"
#include "nowhere.h"

static volatile u32 aborts;

u32 on_exception(u32 kind, struct frame *f) {
  if (kind != EXC_DABT) {
    put("unexpected exception", kind);
    power_off();
  }
  aborts++;
  return f->pc; /* the load again */
}

int main(void) {
  map_all_but_nowhere();
  puts("loading from nowhere\n");
  u32 value = REG(NOWHERE);
  put("unreachable", value);
  return 0;
}
