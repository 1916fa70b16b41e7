/* Modes and banked registers: SP, LR and SPSR of every exception mode, R8-R12 of FIQ mode, SYS sharing the User
   registers; CPS and MSR in USR mode changing nothing but the flags; an SVC from USR mode whose handler returns to
   SVC mode by rewriting the SPSR. */
#include "runtime.h"

static u32 banks[64];
static u32 svc_imm;

u32 on_exception(u32 kind, struct frame *f) {
  if (kind == EXC_SVC) {
    svc_imm = *(u32 *)(f->pc - 4) & 0xffffff;
    put("svc from mode", spsr() & 0x1f);
    /* Return to SVC mode instead of USR: the exception return takes the mode from the SPSR. */
    u32 s = (spsr() & ~0x1fu) | 0x13;
    __asm__ volatile("msr spsr_fsxc, %0" :: "r"(s));
    return f->pc;
  }
  put("unexpected exception", kind);
  put("at", f->pc);
  power_off();
}

/* Writes distinct values into each mode's banked registers, then reads every mode's view back into out[]. */
void bank_dance(u32 *out);
__asm__(
  "bank_dance:\n"
  " push {r4-r11, lr}\n"
  " mov r8, #0x88\n mov r9, #0x99\n mov r10, #0xaa\n mov r11, #0xbb\n mov r12, #0xcc\n"
  " mov r2, sp\n"
  " cps #0x11\n"
  " mov r8, #0x18\n mov r9, #0x19\n mov r10, #0x1a\n mov r11, #0x1b\n mov r12, #0x1c\n"
  " ldr sp, =0x51000011\n ldr lr, =0x52000011\n ldr r1, =0xf00001d1\n msr spsr_fsxc, r1\n"
  " cps #0x12\n ldr sp, =0x51000012\n ldr lr, =0x52000012\n ldr r1, =0x300001d2\n msr spsr_fsxc, r1\n"
  " cps #0x17\n ldr sp, =0x51000017\n ldr lr, =0x52000017\n ldr r1, =0x800001d7\n msr spsr_fsxc, r1\n"
  " cps #0x1b\n ldr sp, =0x5100001b\n ldr lr, =0x5200001b\n ldr r1, =0x400001db\n msr spsr_fsxc, r1\n"
  " cps #0x1f\n ldr sp, =0x5100001f\n ldr lr, =0x5200001f\n"
  " cps #0x13\n"
  " .irp mode, 0x11, 0x12, 0x17, 0x1b\n"
  " cps #\\mode\n mrs r1, cpsr\n mrs r3, spsr\n stmia r0!, {r1, r3, r8-r12}\n str sp, [r0], #4\n str lr, [r0], #4\n"
  " .endr\n"
  " cps #0x1f\n mrs r1, cpsr\n stmia r0!, {r1, r8-r12}\n str sp, [r0], #4\n str lr, [r0], #4\n"
  " cps #0x13\n"
  " mrs r1, cpsr\n stmia r0!, {r1, r8-r12}\n"
  " sub r1, sp, r2\n str r1, [r0], #4\n"
  " pop {r4-r11, pc}\n");

/* USR mode: CPS is a NOP, MSR only writes the flags; an SVC brings the CPU back to SVC mode. */
void user_visit(u32 *out);
__asm__(
  "user_visit:\n"
  " push {r4-r11, lr}\n"
  " cps #0x10\n"
  " mrs r1, cpsr\n str r1, [r0], #4\n"
  " cps #0x13\n"
  " cpsie aif\n"
  " mrs r1, cpsr\n str r1, [r0], #4\n"
  " mov r1, #0x1f\n orr r1, r1, #0xf0000000\n msr cpsr_fsxc, r1\n"
  " mrs r1, cpsr\n str r1, [r0], #4\n"
  " str sp, [r0], #4\n"
  " svc #0x5a5a\n"
  " mrs r1, cpsr\n str r1, [r0], #4\n"
  " pop {r4-r11, pc}\n");

static void show(const char *name, const u32 *v, int n) {
  puts(name);
  for (int i = 0; i < n; i++) { putc(' '); puthex(v[i]); }
  putc('\n');
}

int main(void) {
  put("reset cpsr mode and masks", cpsr() & 0x1ff);
  bank_dance(banks);
  show("fiq", banks, 9);
  show("irq", banks + 9, 9);
  show("abt", banks + 18, 9);
  show("und", banks + 27, 9);
  show("sys", banks + 36, 8);
  show("svc", banks + 44, 7);
  u32 user[5];
  user_visit(user);
  show("usr", user, 3);
  put("usr sp is the sys sp", user[3] == 0x5100001f);
  show("after svc", user + 4, 1);
  put("svc imm", svc_imm);
  /* MSR of the control field in a privileged mode changes the masks and the mode. */
  __asm__ volatile("msr cpsr_c, #0xdf\n mrs r0, cpsr\n str r0, [%0]\n msr cpsr_c, #0x13\n mrs r0, cpsr\n str r0, [%0, #4]"
                   :: "r"(banks) : "r0", "memory");
  show("msr cpsr_c", banks, 2);
  return 0;
}
