/* What every bare-metal test program uses: the UART console, hex printing, CPSR/CP15 accessors, the exception
   hook and power-off. The machine is QEMU's virt layout: PL011 at 0x09000000, GIC-400 at 0x08000000/0x08010000. */
#ifndef RUNTIME_H
#define RUNTIME_H
typedef unsigned int u32;
typedef unsigned long long u64;

#define UART 0x09000000u
#define GICD 0x08000000u
#define GICC 0x08010000u
#define REG(a) (*(volatile u32 *)(a))

enum { EXC_UNDEF = 1, EXC_SVC = 2, EXC_PABT = 3, EXC_DABT = 4, EXC_IRQ = 6, EXC_FIQ = 7 };
/* r0-r12, then the return address (adjusted to the faulting/next instruction). */
struct frame { u32 r[13]; u32 pc; };

void putc(char c);
void puts(const char *s);
void puthex(u32 v);
void put(const char *label, u32 v); /* "label=0x........\n" */
void power_off(void) __attribute__((noreturn));
/* A PSCI call through HVC (the virt board's conduit): function ID and arguments in r0-r3, the result in r0. */
u32 psci(u32 fn, u32 a, u32 b, u32 c);
extern char vectors[];
extern char __free_start[];

/* The test's exception handler: returns the address to resume at. */
u32 on_exception(u32 kind, struct frame *f);

static inline u32 cpsr(void) { u32 v; __asm__ volatile("mrs %0, cpsr" : "=r"(v)); return v; }
static inline u32 spsr(void) { u32 v; __asm__ volatile("mrs %0, spsr" : "=r"(v)); return v; }
#define MRC(op1, crn, crm, op2) ({ u32 v_; __asm__ volatile("mrc p15, " #op1 ", %0, c" #crn ", c" #crm ", " #op2 : "=r"(v_)); v_; })
#define MCR(op1, crn, crm, op2, v) __asm__ volatile("mcr p15, " #op1 ", %0, c" #crn ", c" #crm ", " #op2 :: "r"((u32)(v)) : "memory")
#define MCRR(op1, crm, v) __asm__ volatile("mcrr p15, " #op1 ", %Q0, %R0, c" #crm :: "r"((u64)(v)) : "memory")
#define MRRC(op1, crm) ({ u64 v_; __asm__ volatile("mrrc p15, " #op1 ", %Q0, %R0, c" #crm : "=r"(v_)); v_; })
#define ISB() __asm__ volatile("isb" ::: "memory")
#define DSB() __asm__ volatile("dsb" ::: "memory")
#endif
