/* Lazy VFP as Linux does it: with FPEXC.EN clear (or CPACR denying cp10/cp11) a VFP instruction is UNDEFINED;
   once CPACR grants access and FPEXC.EN is set it executes. FPEXC needs CPACR's grant, not FPEXC.EN. */
#include "runtime.h"

static volatile u32 undefs;

u32 on_exception(u32 kind, struct frame *f) {
  if (kind == EXC_UNDEF) {
    undefs++;
    put(" undefined", *(u32 *)(f->pc - 4));
    return f->pc;
  }
  put("unexpected exception", kind);
  power_off();
}

static u32 fpexc(void) { u32 v; __asm__ volatile(".fpu vfpv3\n vmrs %0, fpexc" : "=r"(v)); return v; }
static void set_fpexc(u32 v) { __asm__ volatile(".fpu vfpv3\n vmsr fpexc, %0" :: "r"(v) : "memory"); }

/* 1.5 + 2.25 in double precision; returns the high word of the result. */
static u32 add(void) {
  u32 hi;
  __asm__ volatile(".fpu vfpv3\n"
                   " vmov.f64 d0, #1.5\n vmov.f64 d1, #2.25\n vadd.f64 d2, d0, d1\n vmov %0, s5"
                   : "=r"(hi) :: "memory");
  return hi;
}

int main(void) {
  fpexc(); /* CPACR denies cp10 at reset: even FPEXC is UNDEFINED */
  put("undefs", undefs);
  put("cpacr at reset", MRC(0, 1, 0, 2));
  put("result with cp10/cp11 denied", add());
  put("undefs", undefs);
  MCR(0, 1, 0, 2, 0x00f00000);
  ISB();
  put("cpacr", MRC(0, 1, 0, 2) & 0x00f00000);
  put("fpexc", fpexc());
  put("result with FPEXC.EN clear", add());
  set_fpexc(0x40000000);
  put("fpexc", fpexc());
  put("result", add());
  put("undefs", undefs);
  set_fpexc(0);
  put("result after disabling", add());
  return 0;
}
