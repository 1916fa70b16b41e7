/* The smallest check of the runtime: console output, the reset state (mode, masks) and the CPU's identity. */
#include "runtime.h"

u32 on_exception(u32 kind, struct frame *f) {
  put("unexpected exception", kind);
  put("at", f->pc);
  power_off();
}

int main(void) {
  puts("hello from bare metal\n");
  put("cpsr", cpsr());
  put("midr", MRC(0, 0, 0, 0));
  put("mpidr", MRC(0, 0, 0, 5));
  put("id_mmfr0", MRC(0, 0, 1, 4));
  put("id_pfr1", MRC(0, 0, 1, 1));
  put("sctlr", MRC(0, 1, 0, 0));
  u32 r0;
  __asm__ volatile("ldr r0, =0x84000000\n hvc #0\n mov %0, r0" : "=r"(r0) :: "r0", "r1", "r2", "r3");
  puts(r0 >= 0x00000002 && r0 < 0x00020000 ? "psci 0.2 or later\n" : "no psci\n");
  return 0;
}
