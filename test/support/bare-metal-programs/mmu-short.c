/* The short-descriptor MMU: sections, a supersection, small and large pages, domains (client, manager, no access),
   AP and XN, the access flag with SCTLR.AFE, TLB maintenance by MVA after a remap, high vectors through a mapping,
   and the DFSR/DFAR/IFSR/IFAR each fault reports. */
#include "runtime.h"

static volatile u32 faults, last_fsr, last_far;
static volatile u32 resume_at;

u32 on_exception(u32 kind, struct frame *f) {
  faults++;
  if (kind == EXC_DABT) {
    last_fsr = MRC(0, 5, 0, 0);
    last_far = MRC(0, 6, 0, 0);
    put(" data abort dfsr", last_fsr);
    put(" dfar", last_far);
    return f->pc + 4;
  }
  if (kind == EXC_PABT) {
    put(" prefetch abort ifsr", MRC(0, 5, 0, 1));
    put(" ifar", MRC(0, 6, 0, 2));
    return resume_at;
  }
  if (kind == EXC_SVC) {
    put(" svc through the high vectors from", f->pc - 4 == 0 ? 0 : 1);
    return f->pc;
  }
  put("unexpected exception", kind);
  power_off();
}

#define L1_SECTION(pa, ap, domain, xn) ((pa) | (((ap) & 4) << 13) | (((ap) & 3) << 10) | ((domain) << 5) | ((xn) << 4) | 2)
#define L1_TABLE(pa, domain) ((pa) | ((domain) << 5) | 1)
#define L2_SMALL(pa, ap, xn) ((pa) | (((ap) & 4) << 7) | (((ap) & 3) << 4) | 2 | (xn))
#define L2_LARGE(pa, ap) ((pa) | (((ap) & 4) << 7) | (((ap) & 3) << 4) | 1)

static u32 *l1;
static u32 *l2;

static u32 load(u32 va) {
  faults = 0;
  return *(volatile u32 *)va;
}

static void store(u32 va, u32 v) {
  faults = 0;
  *(volatile u32 *)va = v;
}

/* Calls code at `va`; a prefetch abort resumes after the call. */
static void call(u32 va) {
  __asm__ volatile("adr r1, 1f\n str r1, [%1]\n blx %0\n 1:" :: "r"(va), "r"(&resume_at) : "r0", "r1", "r2", "r3", "r12", "lr", "memory", "cc");
}

static void tlb_invalidate_all(void) {
  DSB();
  MCR(0, 8, 7, 0, 0);
  DSB();
  ISB();
}

int main(void) {
  u32 base = ((u32)__free_start + 0x3fff) & ~0x3fffu;
  l1 = (u32 *)base;
  l2 = (u32 *)(base + 0x4000);
  u32 data = (base + 0x10000) & ~0xffffu; /* 64 KiB aligned: pages to map */
  for (int i = 0; i < 4096; i++) l1[i] = 0;
  for (int i = 0; i < 256; i++) l2[i] = 0;
  for (u32 mb = 0x400; mb < 0x480; mb++) l1[mb] = L1_SECTION(mb << 20, 3, 0, 0);
  l1[0x080] = L1_SECTION(0x08000000, 3, 0, 1); /* GIC */
  l1[0x090] = L1_SECTION(0x09000000, 3, 0, 1); /* UART */
  /* 0x10000000: a page table. */
  l1[0x100] = L1_TABLE((u32)l2, 0);
  l2[0] = L2_SMALL(data, 3, 0);              /* read/write */
  l2[1] = L2_SMALL(data + 0x1000, 6, 0);     /* read-only at PL1 */
  l2[3] = L2_SMALL(data + 0x2000, 3, 1);     /* execute-never */
  for (int i = 16; i < 32; i++) l2[i] = L2_LARGE(data, 3); /* a 64 KiB large page at 0x10010000 */
  /* 0x20000000: domain 1 (no access); 0x21000000: domain 2 (manager, AP says no access). */
  l1[0x200] = L1_SECTION(data & 0xfff00000, 3, 1, 0);
  l1[0x210] = L1_SECTION(data & 0xfff00000, 0, 2, 0);
  /* 0x30000000: a supersection (16 MiB) onto RAM at 0x41000000. */
  for (int i = 0; i < 16; i++) l1[0x300 + i] = 0x41000000 | (1 << 18) | (3 << 10) | 2;
  /* 0x31000000: AP[0] = 0, an access flag fault once SCTLR.AFE is set. */
  l1[0x310] = L1_SECTION(0x40000000, 6, 0, 0);

  *(volatile u32 *)data = 0x11111111;
  *(volatile u32 *)(data + 0x1000) = 0x22222222;
  *(volatile u32 *)(data + 0x2000) = 0xe12fff1e; /* bx lr */
  *(volatile u32 *)0x41000040 = 0x33333333;

  MCR(0, 3, 0, 0, 0x00000031); /* DACR: domain 0 client, 1 no access, 2 manager */
  MCR(0, 2, 0, 2, 0);          /* TTBCR: short descriptors, TTBR0 only */
  MCR(0, 2, 0, 0, base);       /* TTBR0 */
  MCR(0, 13, 0, 1, 0);         /* CONTEXTIDR */
  tlb_invalidate_all();
  MCR(0, 1, 0, 0, MRC(0, 1, 0, 0) | 1);
  ISB();
  puts("mmu on\n");
  put("sctlr.m", MRC(0, 1, 0, 0) & 1);

  put("page read", load(0x10000000));
  put("large page read", load(0x10010000));
  put("supersection read", load(0x30000040));
  puts("write to a read-only page\n");
  store(0x10001004, 1);
  put("faults", faults);
  put("read-only page still reads", load(0x10001000));
  puts("read of an unmapped page\n");
  load(0x10002008);
  puts("read of an unmapped section\n");
  load(0x50000000);
  puts("domain with no access\n");
  load(0x20000010);
  put("manager domain ignores AP", load(0x21000000 + (data & 0xfffff)));
  puts("execute a page marked XN\n");
  call(0x10003000);
  put("faults", faults);
  puts("execute a readable page\n");
  faults = 0;
  *(volatile u32 *)(data) = 0xe12fff1e;
  call(0x10000000);
  put("faults", faults);

  puts("access flag (SCTLR.AFE)\n");
  put("without AFE", load(0x31000000) == *(volatile u32 *)0x40000000);
  MCR(0, 1, 0, 0, MRC(0, 1, 0, 0) | (1 << 29));
  tlb_invalidate_all();
  load(0x31000000);
  MCR(0, 1, 0, 0, MRC(0, 1, 0, 0) & ~(1u << 29));
  tlb_invalidate_all();

  puts("remap a page and invalidate it by MVA\n");
  l2[0] = L2_SMALL(data + 0x1000, 3, 0);
  DSB();
  MCR(0, 8, 7, 1, 0x10000000);
  DSB();
  ISB();
  put("page now reads", load(0x10000000));

  puts("address translation (ATS1CPR)\n");
  MCR(0, 7, 8, 0, 0x10010004);
  ISB();
  put("par", MRC(0, 7, 4, 0) & 0xfffff001);
  MCR(0, 7, 8, 0, 0x10002000);
  ISB();
  put("par of a fault", MRC(0, 7, 4, 0) & 0x7f);

  puts("high vectors through a mapping\n");
  /* Map the last 1 MiB (0xfff00000) onto a RAM section holding a copy of the vectors at its 0xf0000 offset. */
  u32 hv = 0x47f00000;
  for (int i = 0; i < 8; i++) {
    ((volatile u32 *)(hv + 0xf0000))[i] = 0xe59ff018; /* ldr pc, [pc, #24]: the low vector of the same slot */
    ((volatile u32 *)(hv + 0xf0000))[8 + i] = (u32)vectors + 4 * i;
  }
  l1[0xfff] = L1_SECTION(hv, 3, 0, 0);
  tlb_invalidate_all();
  MCR(0, 1, 0, 0, MRC(0, 1, 0, 0) | (1 << 13));
  ISB();
  __asm__ volatile("svc #1" ::: "lr", "memory");
  MCR(0, 1, 0, 0, MRC(0, 1, 0, 0) & ~(1u << 13));
  MCR(0, 1, 0, 0, MRC(0, 1, 0, 0) & ~1u);
  ISB();
  puts("mmu off\n");
  return 0;
}
