/* A bare-metal driver of one DMA-330 (at 0x09100000 on virt-a15-dma330.dts): it starts channel 1 on a program that
   waits for event 0, and CPU 1 (PSCI CPU_ON; run with two CPUs) to poll channel 1's status until it stops; then
   channel 0 on a program that copies a buffer in 16-byte bursts and signals event 0 (each with DMAGO through the debug
   interface: DBGINST0/1, DBGCMD); it polls channel 0's status until it stops, waits for CPU 1, checks the copy and
   powers off. What a trace of a boot shows of a driver (test/system/trace-stream.test.ts). Not one of the
   programs compared with QEMU (its board has no DMA-330). */
#include "../runtime.h"

#define DMAC 0x09100000u
#define DBGSTATUS 0xd00
#define DBGCMD 0xd04
#define DBGINST0 0xd08
#define DBGINST1 0xd0c
#define CSR(n) (0x100 + 8 * (n))
#define BYTES 1024

static unsigned char code[64] __attribute__((aligned(8)));
static unsigned char waiter[8] __attribute__((aligned(8)));
static u32 src[BYTES / 4], dst[BYTES / 4];
static unsigned char *emit;
static volatile u32 secondary_done;

void secondary_entry(void);
void secondary_main(void) {
  while ((REG(DMAC + CSR(1)) & 0xf) != 0) {} /* until channel 1 is Stopped */
  DSB();
  secondary_done = 1;
  DSB();
  psci(0x84000002, 0, 0, 0); /* CPU_OFF: does not return */
  for (;;) {}
}
__asm__(".global secondary_entry\n secondary_entry:\n ldr sp, =secondary_stack\n b secondary_main\n"
        ".bss\n .space 1024\n secondary_stack:\n .text\n");

static void byte(u32 b) { *emit++ = (unsigned char)b; }
static void word(u32 v) { for (int i = 0; i < 4; i++) byte(v >> (8 * i)); }
static void dmamov(u32 reg, u32 value) { byte(0xbc); byte(reg); word(value); } /* reg: 0 SAR, 1 CCR, 2 DAR */

static void dmago(u32 channel, unsigned char *program) {
  if (REG(DMAC + DBGSTATUS) & 1) { puts("debug interface busy\n"); power_off(); }
  REG(DMAC + DBGINST0) = (channel << 24) | (0xa0u << 16); /* DMAGO, secure */
  REG(DMAC + DBGINST1) = (u32)program;
  REG(DMAC + DBGCMD) = 0;
}

u32 on_exception(u32 kind, struct frame *f) {
  put("unexpected exception", kind);
  put("at", f->pc);
  power_off();
}

int main(void) {
  for (u32 i = 0; i < BYTES / 4; i++) src[i] = 0x9e3779b9u * (i + 1);
  emit = waiter;
  byte(0x36); byte(0 << 3);         /* DMAWFE 0 */
  byte(0x00);                       /* DMAEND */
  emit = code;
  dmamov(1, 0x000d4035); /* CCR: incrementing source and destination, 4-byte beats, 4-beat bursts */
  dmamov(0, (u32)src);
  dmamov(2, (u32)dst);
  byte(0x20); byte(BYTES / 16 - 1); /* DMALP LC0, BYTES / 16 */
  byte(0x04);                       /* DMALD */
  byte(0x08);                       /* DMAST */
  byte(0x38); byte(2);              /* DMALPEND LC0, back to the DMALD */
  byte(0x13);                       /* DMAWMB */
  byte(0x34); byte(0 << 3);         /* DMASEV 0 */
  byte(0x00);                       /* DMAEND */
  DSB();
  dmago(1, waiter);
  if (psci(0x84000003, 1, (u32)secondary_entry, 0) != 0) { puts("CPU_ON failed\n"); power_off(); }
  dmago(0, code);
  u32 polls = 0;
  while ((REG(DMAC + CSR(0)) & 0xf) != 0) polls++; /* until channel 0 is Stopped */
  while (!secondary_done) {}
  u32 wrong = 0;
  for (u32 i = 0; i < BYTES / 4; i++) wrong += dst[i] != src[i];
  put("polls", polls);
  puts(wrong ? "copy: FAIL\n" : "copy: PASS\n");
  return 0;
}
