/* A program that leans on a stale TLB entry: it maps a page, reads it (the TLB holds the translation), remaps it to
   another page without TLB maintenance, then reads it many times and counts which page each read saw. ARMv7 lets a
   TLB drop an entry at any time, so either count is architecturally right; dmalab's TLB keeps entries until
   invalidated, and a snapshot drops them (test/system/snapshot-tlb.test.ts). Not one of the programs compared with
   QEMU. */
#include "../runtime.h"

u32 on_exception(u32 kind, struct frame *f) {
  put("unexpected exception", kind);
  put("at", f->pc);
  power_off();
}

#define L1_SECTION(pa) ((pa) | (3 << 10) | 2)
#define L1_TABLE(pa) ((pa) | 1)
#define L2_SMALL(pa) ((pa) | (3 << 4) | 2)
#define READS 200000

int main(void) {
  u32 base = ((u32)__free_start + 0x3fff) & ~0x3fffu;
  u32 *l1 = (u32 *)base, *l2 = (u32 *)(base + 0x4000);
  u32 page_a = base + 0x8000, page_b = base + 0x9000;
  for (int i = 0; i < 4096; i++) l1[i] = 0;
  for (int i = 0; i < 256; i++) l2[i] = 0;
  for (u32 mb = 0x400; mb < 0x480; mb++) l1[mb] = L1_SECTION(mb << 20);
  l1[0x090] = L1_SECTION(0x09000000) | (1 << 4); /* UART, execute-never */
  l1[0x100] = L1_TABLE((u32)l2);
  l2[0] = L2_SMALL(page_a);
  *(volatile u32 *)page_a = 0xaaaaaaaa;
  *(volatile u32 *)page_b = 0xbbbbbbbb;
  MCR(0, 3, 0, 0, 1);    /* DACR: domain 0 client */
  MCR(0, 2, 0, 2, 0);    /* TTBCR */
  MCR(0, 2, 0, 0, base); /* TTBR0 */
  DSB();
  MCR(0, 8, 7, 0, 0);    /* TLBIALL */
  DSB();
  ISB();
  MCR(0, 1, 0, 0, MRC(0, 1, 0, 0) | 1);
  ISB();
  put("first read", *(volatile u32 *)0x10000000);
  l2[0] = L2_SMALL(page_b); /* no TLBIMVA */
  DSB();
  puts("remapped without TLB maintenance\n");
  u32 stale = 0, fresh = 0;
  for (u32 i = 0; i < READS; i++) {
    u32 v = *(volatile u32 *)0x10000000;
    if (v == 0xaaaaaaaa) stale++;
    else if (v == 0xbbbbbbbb) fresh++;
  }
  put("stale reads", stale);
  put("fresh reads", fresh);
  return 0;
}
