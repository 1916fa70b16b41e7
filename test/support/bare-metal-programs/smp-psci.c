/* PSCI with two CPUs: CPU 1 starts powered off; CPU_ON starts it at an entry point with a context in r0, it reports
   its MPIDR and turns itself off with CPU_OFF; AFFINITY_INFO follows its power state; CPU_ON of a running CPU or of
   one that does not exist fails. */
#include "runtime.h"

static volatile u32 secondary_mpidr, secondary_context, secondary_done;

u32 on_exception(u32 kind, struct frame *f) {
  put("unexpected exception", kind);
  put("at", f->pc);
  power_off();
}

void secondary_entry(void);
void secondary_main(u32 context) {
  secondary_mpidr = MRC(0, 0, 0, 5);
  secondary_context = context;
  DSB();
  secondary_done = 1;
  DSB();
  psci(0x84000002, 0, 0, 0); /* CPU_OFF: does not return */
  for (;;) {}
}
__asm__(".global secondary_entry\n secondary_entry:\n ldr sp, =secondary_stack\n b secondary_main\n"
        ".bss\n .space 1024\n secondary_stack:\n .text\n");

int main(void) {
  put("cpu0 mpidr", MRC(0, 0, 0, 5));
  put("affinity of cpu1 before", psci(0x84000004, 1, 0, 0));
  put("cpu_on of cpu1", psci(0x84000003, 1, (u32)secondary_entry, 0xc0ffee));
  while (!secondary_done) {}
  put("cpu1 mpidr", secondary_mpidr);
  put("cpu1 context", secondary_context);
  u32 state;
  while ((state = psci(0x84000004, 1, 0, 0)) != 1) {}
  put("affinity of cpu1 after cpu_off", state);
  put("cpu_on of cpu0 (running)", psci(0x84000003, 0, (u32)secondary_entry, 0));
  put("cpu_on of cpu7 (absent)", psci(0x84000003, 7, (u32)secondary_entry, 0));
  return 0;
}
