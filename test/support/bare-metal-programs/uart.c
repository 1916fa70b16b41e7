/* The PL011 console: reset values of the flag and control registers, the PrimeCell identification, and the transmit
   interrupt (SPI 1, GIC ID 33) raised by a character and cleared through UARTICR. */
#include "runtime.h"

static volatile u32 irqs, last_mis;

u32 on_exception(u32 kind, struct frame *f) {
  if (kind == EXC_IRQ) {
    u32 iar = REG(GICC + 0x0c);
    last_mis = REG(UART + 0x40);
    REG(UART + 0x44) = 0x7ff;  /* clear every interrupt */
    REG(UART + 0x38) = 0;      /* and mask them */
    irqs++;
    put(" irq", iar & 0x3ff);
    REG(GICC + 0x10) = iar;
    return f->pc;
  }
  put("unexpected exception", kind);
  power_off();
}

int main(void) {
  put("fr", REG(UART + 0x18) & 0xf8);
  put("cr", REG(UART + 0x30));
  put("ifls", REG(UART + 0x34));
  put("imsc", REG(UART + 0x38));
  put("periphid0", REG(UART + 0xfe0));
  put("periphid1", REG(UART + 0xfe4));
  put("periphid3", REG(UART + 0xfec));
  for (u32 a = 0xff0; a < 0x1000; a += 4) put("pcellid", REG(UART + a));

  REG(GICD + 0x000) = 1;
  REG(GICD + 0x104) = 1u << 1;            /* enable ID 33 (SPI 1) */
  REG(GICD + 0x400 + 32) = 0xa0a0a0a0;    /* priority of 32-35 */
  REG(GICD + 0x800 + 32) = 0x01010101;    /* target CPU 0 */
  REG(GICC + 0x04) = 0xf0;
  REG(GICC + 0x00) = 1;

  REG(UART + 0x44) = 0x7ff;
  put("ris after clear", REG(UART + 0x3c) & 0x20);
  REG(UART + 0x38) = 1 << 5;              /* TXIM */
  putc('!');
  putc('\n');
  __asm__ volatile("cpsie i\n nop\n nop\n cpsid i" ::: "memory");
  put("irqs", irqs);
  put("mis", last_mis & 0x20);
  return 0;
}
