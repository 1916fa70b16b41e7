/* The generic timer and the GIC: CNTFRQ, the physical and virtual timers' PPIs (30 and 27) through the GIC
   distributor and CPU interface, TVAL/CVAL/CTL with ISTATUS and IMASK, WFI waking on a masked interrupt (ISR shows
   it pending), and the counters moving forward. */
#include "runtime.h"

static volatile u32 ticks, last_id;

static void set_tval(int virt, u32 v) { if (virt) MCR(0, 14, 3, 0, v); else MCR(0, 14, 2, 0, v); ISB(); }
static void set_ctl(int virt, u32 v) { if (virt) MCR(0, 14, 3, 1, v); else MCR(0, 14, 2, 1, v); ISB(); }
static u32 ctl(int virt) { return virt ? MRC(0, 14, 3, 1) : MRC(0, 14, 2, 1); }

u32 on_exception(u32 kind, struct frame *f) {
  if (kind == EXC_IRQ) {
    u32 iar = REG(GICC + 0x0c);
    last_id = iar & 0x3ff;
    put(" irq", last_id);
    put(" ctl", ctl(last_id == 27));
    ticks++;
    if (ticks < 3) set_tval(last_id == 27, 6250); /* 100 us at 62.5 MHz */
    else set_ctl(last_id == 27, 0);
    REG(GICC + 0x10) = iar;
    return f->pc;
  }
  put("unexpected exception", kind);
  power_off();
}

static void gic_init(void) {
  REG(GICD + 0x000) = 1;                    /* GICD_CTLR */
  REG(GICD + 0x100) = (1u << 30) | (1u << 27); /* enable PPIs 30 and 27 */
  REG(GICD + 0x400 + 24) = 0xa0a0a0a0;      /* priorities of 24-27 */
  REG(GICD + 0x400 + 28) = 0xa0a0a0a0;      /* priorities of 28-31 */
  REG(GICC + 0x04) = 0xf0;                  /* GICC_PMR */
  REG(GICC + 0x00) = 1;                     /* GICC_CTLR */
}

int main(void) {
  put("cntfrq", MRC(0, 14, 0, 0));
  gic_init();
  u64 before = MRRC(0, 14);
  puts("masked: ISTATUS without an interrupt\n");
  set_tval(0, 0);
  set_ctl(0, 3);
  put("ctl", ctl(0));
  set_ctl(0, 0);
  put("ctl disabled", ctl(0));

  for (int virt = 0; virt < 2; virt++) {
    puts(virt ? "virtual timer\n" : "physical timer\n");
    ticks = 0;
    set_tval(virt, 6250);
    set_ctl(virt, 1);
    __asm__ volatile("cpsie i" ::: "memory");
    while (ticks < 3) __asm__ volatile("wfi" ::: "memory");
    __asm__ volatile("cpsid i" ::: "memory");
    put("ticks", ticks);
  }

  puts("wfi with interrupts masked wakes on the pending interrupt\n");
  ticks = 0;
  set_tval(0, 6250);
  set_ctl(0, 1);
  __asm__ volatile("wfi" ::: "memory");
  put("isr", MRC(0, 12, 1, 0));
  put("ticks before unmasking", ticks);
  __asm__ volatile("cpsie i\n nop\n cpsid i" ::: "memory");
  put("ticks after unmasking", ticks);
  set_ctl(0, 0);

  u64 after = MRRC(0, 14);
  put("physical count moved forward", after > before);
  u64 virt = MRRC(1, 14);
  put("virtual count follows it", virt >= after);
  puts("compare value in the past fires at once\n");
  ticks = 0;
  MCRR(2, 14, after - 1);
  set_ctl(0, 1);
  put("ctl", ctl(0));
  __asm__ volatile("cpsie i\n nop\n cpsid i" ::: "memory");
  set_ctl(0, 0);
  return 0;
}
