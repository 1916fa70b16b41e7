#include "runtime.h"

void putc(char c) {
  while (REG(UART + 0x18) & (1 << 5)) {} /* TXFF */
  REG(UART) = (u32)c;
}

void puts(const char *s) {
  while (*s) putc(*s++);
}

void puthex(u32 v) {
  puts("0x");
  for (int i = 28; i >= 0; i -= 4) putc("0123456789abcdef"[(v >> i) & 0xf]);
}

void put(const char *label, u32 v) {
  puts(label);
  putc('=');
  puthex(v);
  putc('\n');
}

u32 psci(u32 fn, u32 a, u32 b, u32 c) {
  register u32 r0 __asm__("r0") = fn, r1 __asm__("r1") = a, r2 __asm__("r2") = b, r3 __asm__("r3") = c;
  __asm__ volatile("hvc #0" : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3) :: "memory");
  return r0;
}
