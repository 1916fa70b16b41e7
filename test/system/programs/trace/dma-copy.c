/* A bare-metal driver of one DMA-330 (at 0x09100000 on virt-a15-dma330.dts): it starts channel 1 on a program that
   waits for event 0, then channel 0 on one that copies a buffer in 16-byte bursts and signals event 0 (each with
   DMAGO through the debug interface: DBGINST0/1, DBGCMD), polls both channels' status until they stop, checks the
   copy and powers off. What a trace of a boot shows of a driver (test/system/trace-stream.test.ts). Not one of the
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
  dmago(0, code);
  u32 polls = 0;
  while ((REG(DMAC + CSR(0)) & 0xf) != 0 || (REG(DMAC + CSR(1)) & 0xf) != 0) polls++; /* until both are Stopped */
  u32 wrong = 0;
  for (u32 i = 0; i < BYTES / 4; i++) wrong += dst[i] != src[i];
  put("polls", polls);
  puts(wrong ? "copy: FAIL\n" : "copy: PASS\n");
  return 0;
}
