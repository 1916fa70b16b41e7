/* Entry and exception vectors of the bare-metal test programs: stacks for every mode, the vector table at VBAR,
   and exception handlers that save the registers and call the C handler `on_exception(kind, frame)`; its return
   value is where to resume (the handler may skip the faulting instruction). */
	.syntax unified
	.arm
	.section .text.start, "ax"
	.global _start
_start:
	/* SVC mode with A, I, F masked (the reset state on both QEMU and dmalab). */
	ldr	r0, =vectors
	mcr	p15, 0, r0, c12, c0, 0
	cps	#0x11
	ldr	sp, =stack_fiq_top
	cps	#0x12
	ldr	sp, =stack_irq_top
	cps	#0x17
	ldr	sp, =stack_abt_top
	cps	#0x1b
	ldr	sp, =stack_und_top
	cps	#0x1f
	ldr	sp, =stack_usr_top
	cps	#0x13
	ldr	sp, =stack_svc_top
	ldr	r0, =__bss_start
	ldr	r1, =__bss_end
	mov	r2, #0
1:	cmp	r0, r1
	strlo	r2, [r0], #4
	blo	1b
	bl	main
	bl	power_off
	b	.

	.balign 32
	.global vectors
vectors:
	b	.		/* reset */
	b	undef_entry
	b	svc_entry
	b	pabt_entry
	b	dabt_entry
	b	.		/* hyp */
	b	irq_entry
	b	fiq_entry

/* Each entry: push r0-r12 and lr, r0 = kind, r1 = frame; the C handler returns the resume address. */
.macro entry name, kind, adjust
\name:
	sub	lr, lr, #\adjust
	push	{r0-r12, lr}
	mov	r0, #\kind
	mov	r1, sp
	bl	on_exception
	str	r0, [sp, #52]
	pop	{r0-r12, lr}
	movs	pc, lr
.endm
	entry undef_entry, 1, 0
	entry svc_entry, 2, 0
	entry pabt_entry, 3, 4
	entry dabt_entry, 4, 8
	entry irq_entry, 6, 4
	entry fiq_entry, 7, 4

	.global power_off
power_off:
	ldr	r0, =0x84000008		/* PSCI SYSTEM_OFF */
	hvc	#0
	b	.

	.bss
	.balign 8
	.space 1024
stack_fiq_top:
	.space 1024
stack_irq_top:
	.space 1024
stack_abt_top:
	.space 1024
stack_und_top:
	.space 4096
stack_usr_top:
	.space 4096
stack_svc_top:
