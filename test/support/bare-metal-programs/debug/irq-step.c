/* An interrupt pending when a line unmasks IRQs, for the kernel debugger's step by source line: built with -g, booted
   as a kernel. The tests find lines by the markers in the comments. */
#include "../runtime.h"

static volatile u32 ticks;

u32 on_exception(u32 kind, struct frame *f) {
  if (kind == EXC_IRQ) {
    u32 iar = REG(GICC + 0x0c);
    MCR(0, 14, 2, 1, 0); /* the physical timer off */
    ticks++;
    REG(GICC + 0x10) = iar;
    return f->pc;
  }
  put("unexpected exception", kind);
  power_off();
}

int main(void) {
  REG(GICD + 0x000) = 1;              /* GICD_CTLR */
  REG(GICD + 0x100) = 1u << 30;       /* the physical timer's PPI */
  REG(GICD + 0x400 + 28) = 0xa0a0a0a0; /* its priority */
  REG(GICC + 0x04) = 0xf0;            /* GICC_PMR */
  REG(GICC + 0x00) = 1;               /* GICC_CTLR */
  MCR(0, 14, 2, 0, 0);                /* TVAL 0: due now */
  MCR(0, 14, 2, 1, 1);                /* enabled, unmasked: pending while the CPU masks IRQs */
  ISB();
  __asm__ volatile("cpsie i\n nop\n nop" ::: "memory"); /* UNMASK */
  put("ticks", ticks); /* AFTER */
  return 0;
}
