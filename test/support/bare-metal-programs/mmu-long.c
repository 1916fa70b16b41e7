/* The LPAE long-descriptor MMU: a level-1 1 GiB block, level-2 2 MiB blocks, level-3 pages, APTable/XN/PXN, the
   access flag, MAIR attribute indices, non-global entries with ASIDs in TTBR0 and TLBIASID, and the long-format
   DFSR/IFSR (LPAE bit, level in the status); the TTBR0/TTBR1 split as Linux's TTBR0 PAN sets it while the kernel
   runs (T0SZ = 7, T1SZ = 0: TTBR1 above 32 MiB; TTBR0 walks disabled, the ASID from TTBR1). */
#include "runtime.h"

static volatile u32 faults;
static volatile u32 resume_at;

u32 on_exception(u32 kind, struct frame *f) {
  faults++;
  if (kind == EXC_DABT) {
    put(" data abort dfsr", MRC(0, 5, 0, 0));
    put(" dfar", MRC(0, 6, 0, 0));
    return f->pc + 4;
  }
  if (kind == EXC_PABT) {
    put(" prefetch abort ifsr", MRC(0, 5, 0, 1));
    put(" ifar", MRC(0, 6, 0, 2));
    return resume_at;
  }
  put("unexpected exception", kind);
  power_off();
}

typedef unsigned long long u64;
#define VALID 1ull
#define TABLE 3ull
#define PAGE 3ull
#define BLOCK 1ull
#define AF (1ull << 10)
#define ATTR(i) ((u64)(i) << 2)
#define AP_RW_PL1 (0ull << 6)
#define AP_RW_ALL (1ull << 6)
#define AP_RO_PL1 (2ull << 6)
#define NG (1ull << 11)
#define PXN (1ull << 53)
#define XN (1ull << 54)
#define APTABLE_RO (2ull << 61)

static u64 *l1, *l2low, *l2ram, *l3;

static u32 load(u32 va) { return *(volatile u32 *)va; }
static void store(u32 va, u32 v) { *(volatile u32 *)va = v; }
static void call(u32 va) {
  __asm__ volatile("adr r1, 1f\n str r1, [%1]\n blx %0\n 1:" :: "r"(va), "r"(&resume_at) : "r0", "r1", "r2", "r3", "r12", "lr", "memory", "cc");
}
static void sync_tlb(void) { DSB(); MCR(0, 8, 7, 0, 0); DSB(); ISB(); }

int main(void) {
  u32 base = ((u32)__free_start + 0xffff) & ~0xffffu;
  l1 = (u64 *)base;               /* 4 entries (T0SZ = 0: level 1 covers 4 GiB) */
  l2low = (u64 *)(base + 0x1000); /* 0-1 GiB */
  l2ram = (u64 *)(base + 0x2000); /* 1-2 GiB */
  l3 = (u64 *)(base + 0x3000);    /* 0x10000000-0x101fffff */
  u32 data = base + 0x10000;
  u64 *l2ro = (u64 *)(base + 0x4000); /* a table under APTable = read-only at 0x60000000 */
  for (int i = 0; i < 512; i++) l2low[i] = l2ram[i] = l3[i] = l2ro[i] = 0;
  l1[0] = (u32)l2low | TABLE;
  l1[1] = (u32)l2ram | TABLE;
  l1[2] = ((u32)l2ro | TABLE) | APTABLE_RO;
  l1[3] = 0x40000000ull | BLOCK | AF | ATTR(1) | AP_RW_PL1; /* 0xc0000000: a 1 GiB block onto RAM */
  for (int i = 0; i < 64; i++) l2ram[i] = (0x40000000ull + ((u64)i << 21)) | BLOCK | AF | ATTR(1) | AP_RW_PL1;
  l2low[0x08000000 >> 21] = 0x08000000ull | BLOCK | AF | ATTR(0) | XN;
  l2low[0x09000000 >> 21] = 0x09000000ull | BLOCK | AF | ATTR(0) | XN;
  l2low[0x10000000 >> 21] = (u32)l3 | TABLE;
  l3[0] = data | PAGE | AF | ATTR(1) | AP_RW_PL1;
  l3[1] = (data + 0x1000) | PAGE | AF | ATTR(1) | AP_RO_PL1;
  l3[2] = (data + 0x2000) | PAGE | ATTR(1);                   /* access flag clear */
  l3[3] = (data + 0x3000) | PAGE | AF | ATTR(1) | PXN;        /* not executable at PL1 */
  l3[4] = (data + 0x3000) | PAGE | AF | ATTR(1) | XN;         /* not executable at all */
  l3[5] = (data + 0x3000) | PAGE | AF | ATTR(1);
  l3[6] = data | PAGE | AF | ATTR(1) | NG;                    /* non-global: tagged with the ASID */
  l3[8] = (data + 0x3000) | 1;                                /* reserved at level 3: translation fault */
  l2ro[0] = data | BLOCK | AF | ATTR(1);                      /* read/write, but the table says read-only */

  store(data, 0x11111111);
  store(data + 0x1000, 0x22222222);
  store(data + 0x3000, 0xe12fff1e); /* bx lr */
  store(data + 0x4000, 0x44444444);

  MCR(0, 10, 2, 0, 0x0000ff04); /* MAIR0: attr 0 device, attr 1 normal write-back */
  MCR(0, 10, 2, 1, 0);
  MCR(0, 2, 0, 2, 0x80000000);  /* TTBCR: EAE, T0SZ = 0 */
  MCRR(0, 2, (u64)base | (5ull << 48)); /* TTBR0 with ASID 5 */
  sync_tlb();
  MCR(0, 1, 0, 0, MRC(0, 1, 0, 0) | 1);
  ISB();
  puts("lpae mmu on\n");
  put("ttbr0 asid", (u32)(MRRC(0, 2) >> 48));
  put("page read", load(0x10000000));
  put("1 GiB block read", load(0xc0000000 + (data - 0x40000000)));
  puts("write to a read-only page\n");
  store(0x10001000, 0);
  puts("access flag clear\n");
  load(0x10002000);
  puts("unmapped page\n");
  load(0x10007000);
  puts("reserved level-3 descriptor\n");
  load(0x10008000);
  puts("unmapped level-2 entry\n");
  load(0x12000000);
  puts("write under an APTable read-only table\n");
  store(0x80000000 + (data & 0x1fffff), 5);
  put("read under it", load(0x80000000 + (data & 0x1fffff)));
  puts("execute PXN page\n");
  call(0x10003000);
  puts("execute XN page\n");
  call(0x10004000);
  puts("execute a plain page\n");
  faults = 0;
  call(0x10005000);
  put("faults", faults);

  puts("non-global page under ASID 5, remapped, TLBIASID 5\n");
  put("ng page", load(0x10006000));
  l3[6] = (data + 0x1000) | PAGE | AF | ATTR(1) | NG;
  DSB();
  MCR(0, 8, 7, 2, 5);
  DSB();
  ISB();
  put("ng page after TLBIASID", load(0x10006000));
  puts("the same page under ASID 6 after a remap and TLBIMVA\n");
  l3[6] = (data + 0x4000) | PAGE | AF | ATTR(1) | NG;
  MCRR(0, 2, (u64)base | (6ull << 48));
  DSB();
  MCR(0, 8, 7, 1, 0x10006000 | 6);
  ISB();
  put("ng page under asid 6", load(0x10006000));

  puts("address translation (ATS1CPR)\n");
  MCR(0, 7, 8, 0, 0x10001008);
  ISB();
  u64 par = MRRC(0, 7);
  put("par low", (u32)par & 0xfffff801);
  MCR(0, 7, 8, 0, 0x10002000);
  ISB();
  par = MRRC(0, 7);
  put("par of a fault", (u32)par & 0xfff);

  puts("TTBCR T0SZ = 7, T1SZ = 0, EPD0, A1 (Linux's TTBR0 PAN)\n");
  MCRR(1, 2, (u64)base | (7ull << 48)); /* TTBR1: the same table, ASID 7 */
  MCR(0, 2, 0, 2, 0x80000000u | (1u << 22) | (1u << 7) | 7u);
  sync_tlb();
  put("page read through ttbr1", load(0x10000000));
  put("1 GiB block read through ttbr1", load(0xc0000000 + (data - 0x40000000)));
  put("ng page under ttbr1's asid 7", load(0x10006000));
  puts("below 32 MiB, TTBR0 walks disabled\n");
  load(0x01000000);
  MCR(0, 2, 0, 2, 0x80000000u);
  sync_tlb();

  MCR(0, 1, 0, 0, MRC(0, 1, 0, 0) & ~1u);
  ISB();
  puts("mmu off\n");
  return 0;
}
