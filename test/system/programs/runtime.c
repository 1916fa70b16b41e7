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
