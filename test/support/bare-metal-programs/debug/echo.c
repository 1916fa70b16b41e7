/* The console input program (test/debugger/kernel-console-input.test.ts): prints a prompt and calls `waiting`, then
   reads the PL011 (its FIFOs on) by polling its flags, echoes each byte and keeps the line in `line`; at Enter (CR or LF) it counts
   the line in `lines`, calls `line_done` and prints the line back with its checksum. After three lines it powers off. */
#include "../runtime.h"

char line[64];
volatile u32 length, lines, checksum;

u32 on_exception(u32 kind, struct frame *f) {
  put("unexpected exception", kind);
  put("at", f->pc);
  power_off();
}

void __attribute__((noinline)) waiting(void) { __asm__ volatile("" ::: "memory"); }
void __attribute__((noinline)) line_done(u32 n) { __asm__ volatile("" :: "r"(n) : "memory"); }

static char getc(void) {
  while (REG(UART + 0x18) & (1 << 4)) {} /* RXFE: nothing received yet */
  return (char)REG(UART);
}

int main(void) {
  REG(UART + 0x2c) = (3 << 5) | (1 << 4); /* UARTLCR_H: 8 bits, FIFOs on (a typed line arrives at once) */
  while (lines < 3) {
    puts("echo> ");
    waiting();
    length = 0;
    checksum = 0;
    for (;;) {
      char c = getc();
      if (c == '\r' || c == '\n') break;
      putc(c);
      if (length < sizeof line - 1) line[length++] = c;
      checksum = checksum * 31 + (unsigned char)c;
    }
    line[length] = 0;
    lines++;
    line_done(lines);
    puts("\nline: ");
    puts(line);
    put("\nchecksum", checksum);
  }
  return 0;
}
