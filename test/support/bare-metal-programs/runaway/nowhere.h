/* What the runaways fault on: the MMU on, every megabyte mapped flat except NOWHERE, whose accesses take translation
   faults (with the MMU off, an address where nothing answers reads as zero, as on QEMU's boards). */
#define NOWHERE 0x30000000u

static u32 sections[4096] __attribute__((aligned(16384)));

static inline void map_all_but_nowhere(void) {
  for (u32 mb = 0; mb < 4096; mb++) sections[mb] = mb == NOWHERE >> 20 ? 0 : (mb << 20) | (3 << 10) | 2; /* AP = 11 */
  MCR(0, 3, 0, 0, 1);                /* DACR: domain 0 client */
  MCR(0, 2, 0, 2, 0);                /* TTBCR: short descriptors, TTBR0 only */
  MCR(0, 2, 0, 0, (u32)sections);    /* TTBR0 */
  MCR(0, 8, 7, 0, 0);                /* TLBIALL */
  DSB();
  ISB();
  MCR(0, 1, 0, 0, MRC(0, 1, 0, 0) | 1);
  ISB();
}
