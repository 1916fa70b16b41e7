/* Exception entry and return: UNDEFINED in ARM and Thumb state, SVC with its immediate, SMC and HVC that no
   firmware serves, BKPT as a debug prefetch abort; the return address, SPSR and mode each handler sees; SRS/RFE,
   LDM with ^ (User registers and exception return) and SUBS PC, LR. */
#include "runtime.h"

static volatile u32 last_kind, last_spsr, last_mode, last_offset, last_insn;

u32 on_exception(u32 kind, struct frame *f) {
  last_kind = kind;
  last_spsr = spsr();
  last_mode = cpsr() & 0x1ff;
  u32 thumb = last_spsr & 0x20;
  switch (kind) {
    case EXC_UNDEF:
    case EXC_SVC:
      /* LR is the next instruction; the instruction is 2 or 4 bytes before it. */
      last_insn = thumb && kind == EXC_SVC ? *(unsigned short *)(f->pc - 2) : thumb ? *(unsigned short *)(f->pc - 2) : *(u32 *)(f->pc - 4);
      return f->pc;
    case EXC_PABT:
      put("ifsr", MRC(0, 5, 0, 1) & 0x40f);
      return f->pc + 4; /* skip the BKPT */
  }
  put("unexpected exception", kind);
  power_off();
}

static void report(const char *what) {
  puts(what);
  put(" kind", last_kind);
  put(" spsr mode, T, masks", last_spsr & 0x1ff);
  put(" handler mode and masks", last_mode);
  put(" instruction", last_insn);
  last_kind = 0;
}

void thumb_undef(void);
void thumb_undef32(void);
void thumb_svc(void);
__asm__(
  ".syntax unified\n .thumb\n .thumb_func\n thumb_undef:\n udf #7\n bx lr\n"
  ".thumb_func\n thumb_undef32:\n udf.w #0x123\n nop\n bx lr\n"
  ".thumb_func\n thumb_svc:\n push {lr}\n svc #0x42\n pop {pc}\n"
  ".arm\n");

/* SRS then RFE: store LR and SPSR on the SVC stack, return from it into SYS mode and back with CPS. */
u32 srs_rfe(u32 *out);
__asm__(
  "srs_rfe:\n"
  " push {r4, lr}\n"
  " mov r4, sp\n"
  " adr lr, 1f\n"
  " ldr r1, =0x8000001f\n msr spsr_fsxc, r1\n"
  " srsdb sp!, #0x13\n"
  " ldr r1, [sp]\n str r1, [r0]\n ldr r1, [sp, #4]\n str r1, [r0, #4]\n"
  " rfeia sp!\n"
  "1: mrs r1, cpsr\n str r1, [r0, #8]\n"
  " cps #0x13\n"
  " sub r1, sp, r4\n str r1, [r0, #12]\n"
  " pop {r4, pc}\n");

/* An SVC taken in SVC mode overwrites LR_svc, hence the saved LR around it. */

/* LDM/STM with ^: the User SP and LR from SVC mode, and an exception return that switches to SYS mode. */
void user_regs(u32 *out);
__asm__(
  "user_regs:\n"
  " push {r4-r6, lr}\n"
  " cps #0x1f\n ldr sp, =0x600d5000\n ldr lr, =0x600d1000\n cps #0x13\n"
  " stmia r0, {sp, lr}^\n"
  " add r0, r0, #8\n"
  " ldr r1, =0x1234\n ldr r2, =0x5678\n push {r1, r2}\n"
  " ldmia sp, {sp, lr}^\n"
  " add sp, sp, #8\n"
  " cps #0x1f\n str sp, [r0]\n str lr, [r0, #4]\n ldr sp, =stack_sys_for_test\n cps #0x13\n"
  " ldr r1, =0x200001df\n msr spsr_fsxc, r1\n"
  " adr r2, 2f\n push {r2}\n"
  " mov r3, sp\n"
  " ldmia sp!, {pc}^\n"
  "2: mrs r1, cpsr\n str r1, [r0, #8]\n"
  " cps #0x13\n"
  " ldr r1, =0x600001d3\n msr spsr_fsxc, r1\n"
  " adr lr, 3f\n"
  " subs pc, lr, #0\n"
  "3: mrs r1, cpsr\n str r1, [r0, #12]\n"
  " pop {r4-r6, pc}\n"
  ".bss\n .space 64\n stack_sys_for_test:\n .text\n");

int main(void) {
  __asm__ volatile(".word 0xe7f000f0"); /* UDF #0 (ARM) */
  report("arm udf");
  thumb_undef();
  report("thumb udf");
  thumb_undef32(); /* LR is the instruction + 2 in Thumb state even for a 32-bit one: the handler returns into it */
  report("thumb udf.w");
  __asm__ volatile("svc #0x123456" ::: "lr", "memory"); /* from SVC mode: LR_svc is overwritten */
  report("arm svc");
  thumb_svc();
  report("thumb svc");
  __asm__ volatile("mov r0, #0\n smc #0" ::: "r0", "memory");
  report("smc without a monitor");
  __asm__ volatile("ldr r0, =0x12345678\n hvc #0" ::: "r0", "r1", "r2", "r3", "memory");
  report("hvc that is not psci");
  u32 r0;
  __asm__ volatile("ldr r0, =0x8400001f\n hvc #0\n mov %0, r0" : "=r"(r0) :: "r0", "r1", "r2", "r3", "memory");
  put("unknown psci function", r0);
  __asm__ volatile("bkpt #3" ::: "memory");
  report("bkpt");
  u32 out[6];
  srs_rfe(out);
  put("srs lr ok", out[0] != 0);
  put("srs spsr", out[1]);
  put("rfe cpsr", out[2]);
  put("svc sp restored", out[3]);
  user_regs(out);
  put("stm^ sp", out[0]);
  put("stm^ lr", out[1]);
  put("ldm^ sp", out[2]);
  put("ldm^ lr", out[3]);
  put("ldm pc^ cpsr", out[4]);
  put("subs pc, lr cpsr", out[5]);
  return 0;
}
