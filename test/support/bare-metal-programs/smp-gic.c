/* Two CPUs on one GIC: each sees its own CPU interface and its own bank of SGI/PPI registers at the same addresses
   (ITARGETSR0 reads as the accessing CPU, PPI enables are per CPU); an SGI reaches the CPUs GICD_SGIR names and
   GICC_IAR reports its source; CPU 1's virtual timer raises PPI 27 on CPU 1 only; WFE waits for the other CPU's SEV;
   both CPUs increment counters under an LDREX/STREX spinlock (WFE while it is held, SEV on release) and with
   LDREX/STREX atomics, and no increment is lost. Interrupts stay masked: the CPUs poll GICC_IAR. */
#include "runtime.h"

#define ROUNDS 20000u

static volatile u32 step, lock, plain, atomic, cpu1_done;
static volatile u32 cpu1_itargets, cpu1_spendsgi, cpu1_sgi, cpu1_timer;

u32 on_exception(u32 kind, struct frame *f) {
  put("unexpected exception", kind);
  put("at", f->pc);
  power_off();
}

static void wait_step(u32 s) {
  while (step != s) {}
}

/* The next interrupt this CPU's interface signals (GICC_IAR until it is not spurious). */
static u32 acknowledge(void) {
  u32 iar;
  while (((iar = REG(GICC + 0x0c)) & 0x3ff) == 1023) {}
  return iar;
}

/* The CPU's interface on, its SGIs enabled (a GIC-400 keeps them enabled; QEMU's GIC needs the write). */
static void interface_on(void) {
  REG(GICD + 0x100) = 0xffff;
  REG(GICC + 0x04) = 0xf0;
  REG(GICC + 0x00) = 1;
}

static void spin_lock(volatile u32 *l) {
  u32 value, failed;
  __asm__ volatile(
      "1: ldrex %0, [%2]\n"
      "   teq %0, #0\n"
      "   wfene\n"
      "   bne 1b\n"
      "   strex %1, %3, [%2]\n"
      "   teq %1, #0\n"
      "   bne 1b\n"
      "   dmb\n"
      : "=&r"(value), "=&r"(failed) : "r"(l), "r"(1) : "cc", "memory");
}

static void spin_unlock(volatile u32 *l) {
  __asm__ volatile("dmb\n str %1, [%0]\n dsb\n sev" :: "r"(l), "r"(0) : "memory");
}

static void atomic_inc(volatile u32 *v) {
  u32 value, failed;
  __asm__ volatile(
      "1: ldrex %0, [%2]\n"
      "   add %0, %0, #1\n"
      "   strex %1, %0, [%2]\n"
      "   teq %1, #0\n"
      "   bne 1b\n"
      : "=&r"(value), "=&r"(failed) : "r"(v) : "cc", "memory");
}

static void count(void) {
  for (u32 i = 0; i < ROUNDS; i++) {
    spin_lock(&lock);
    plain = plain + 1;
    spin_unlock(&lock);
    atomic_inc(&atomic);
  }
}

void secondary_entry(void);
void secondary_main(void) {
  interface_on();
  cpu1_itargets = REG(GICD + 0x800);
  step = 1;
  wait_step(2);
  cpu1_spendsgi = REG(GICD + 0xf20); /* GICD_SPENDSGIR0: SGI 3 pending from CPU 0 */
  u32 iar = acknowledge();
  cpu1_sgi = iar;
  REG(GICC + 0x10) = iar;
  REG(GICD + 0xf00) = (1u << 24) | 5; /* SGI 5 to every other CPU */
  step = 3;
  wait_step(4);
  /* PPI 27 (the virtual timer) in CPU 1's bank, the timer firing 100 ticks from now. */
  REG(GICD + 0x100) = 1u << 27;
  *(volatile unsigned char *)(GICD + 0x400 + 27) = 0x80;
  MCR(0, 14, 3, 0, 100);
  MCR(0, 14, 3, 1, 1);
  iar = acknowledge();
  cpu1_timer = iar;
  MCR(0, 14, 3, 1, 0);
  REG(GICC + 0x10) = iar;
  step = 5;
  while (step != 6) __asm__ volatile("wfe" ::: "memory");
  count();
  cpu1_done = 1;
  DSB();
  psci(0x84000002, 0, 0, 0); /* CPU_OFF */
  for (;;) {}
}
__asm__(".global secondary_entry\n secondary_entry:\n ldr sp, =secondary_stack\n b secondary_main\n"
        ".bss\n .space 1024\n secondary_stack:\n .text\n");

int main(void) {
  REG(GICD) = 1;
  interface_on();
  put("cpu0 ITARGETSR0", REG(GICD + 0x800));
  put("cpu_on of cpu1", psci(0x84000003, 1, (u32)secondary_entry, 0));
  wait_step(1);
  put("cpu1 ITARGETSR0", cpu1_itargets);
  REG(GICD + 0xf00) = (2u << 16) | 3; /* SGI 3 to CPU 1 */
  put("cpu0 IAR after SGI 3 to cpu1", REG(GICC + 0x0c));
  step = 2;
  wait_step(3);
  put("cpu1 SPENDSGIR0", cpu1_spendsgi);
  put("cpu1 IAR", cpu1_sgi);
  u32 iar = acknowledge();
  put("cpu0 IAR (SGI 5 from cpu1)", iar);
  REG(GICC + 0x10) = iar;
  step = 4;
  wait_step(5);
  put("cpu1 IAR (its timer)", cpu1_timer);
  put("cpu0 PPI 27 enabled", (REG(GICD + 0x100) >> 27) & 1);
  step = 6;
  __asm__ volatile("dsb\n sev" ::: "memory");
  count();
  while (!cpu1_done) {}
  put("counter under the spinlock", plain);
  put("atomic counter", atomic);
  return 0;
}
