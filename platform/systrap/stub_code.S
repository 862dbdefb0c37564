/*
 * systrap's code in the stub (copied to STUB_CODE by platform/stub.c; it
 * never runs inside moat). Position-independent but for the fixed
 * addresses of the stub, the mailboxes and the patch area. The offsets
 * the sentry and the filter know (stub.h) are fixed here with .org, whose
 * padding before a syscall is nops.
 *
 * Two ways in:
 *
 * handler: the SIGSYS handler (a reported syscall), and the handler of
 *   every other host signal, on the slot's signal stack, with rdi = the
 *   signal, rsi = its siginfo, rdx = the ucontext. It posts the stop in the
 *   mailbox (found by masking rsp down to the slot), rings the address
 *   space's bell unless the sentry polls the mailbox, polls `spin` times
 *   for the answer and then sleeps on the futex `state`. The answer is in
 *   the ucontext, which rt_sigreturn loads.
 *
 * fast: a patched syscall site's way in (patch.c), without a signal. A
 *   site `mov $NR,%eax; syscall` was rewritten to `jmp *REC+REC_TRAMP`;
 *   the record's trampoline sets rcx to the record and jumps here. rax, rcx
 *   and r11 are free (the syscall would clobber them); the arithmetic flags
 *   are not kept. The thread's slot is its %gs base (the sentry sets it;
 *   STUB_NOSLOT when the thread has no mailbox or is traced, where the
 *   slot's `self` reads 0). It saves the application's registers in the
 *   mailbox, posts the stop with sig 0, waits as the handler does, and
 *   returns to the site's end with the result in rax. Anything but a plain
 *   result (a signal to deliver, a restart) the sentry does with ptrace.
 *   When the fast path cannot be used (patching turned off, no slot) it
 *   takes the trapped way: the record's own syscall instruction.
 *
 * A host signal that arrives in the fast path between fast_start and
 * fast_exit (the mailbox is in use) is kept back: the handler copies its
 * siginfo to the mailbox, blocks every other signal that can wait (the
 * ucontext's mask, which rt_sigreturn installs) and returns; the fast path
 * sees `defer` when it is done and traps with STUB_RESYNC_NR, where the
 * sentry hands it on and clears the mask. Faults and SIGSYS are never
 * kept back (they would come again).
 *
 * And a way out: thread_exit, where the handler's rt_sigreturn sends a
 * thread whose exit(2) the sentry lets run natively (the filter allows
 * exit there and nowhere else; code that jumps there ends only its own
 * thread, which exit(2) does anyway).
 */
#include "../stub.h"

#define SYS_write 1
#define SYS_rt_sigreturn 15
#define SYS_futex 202
#define SYS_exit 60

/* Post the stop in the mailbox at %rbx (its fields set), ring the bell
 * unless the sentry polls it (the write ends at BELL_OFF), poll `spin`
 * times for the answer, sleep on the futex `state` (its syscall ends at
 * FUTEX_OFF), and go to DONE once answered. */
.macro HAND_OFF bell_off, futex_off, done
	mov $MB_REQUEST, %eax
	xchg %eax, MB_STATE(%rbx)	/* a full barrier */
	cmpl $0, MB_POLLING(%rbx)
	jne 1f
	mov $STUB_FD_BELL, %edi
	lea MB_ONE(%rbx), %rsi
	mov $8, %edx
	mov $SYS_write, %eax
	.org \bell_off - 2, 0x90
	syscall
1:	mov MB_SPIN(%rbx), %ecx
2:	cmpl $MB_REQUEST, MB_STATE(%rbx)
	jne \done
	test %ecx, %ecx
	je 3f
	pause
	dec %ecx
	jmp 2b
3:	mov $1, %eax
	xchg %eax, MB_SLEEPING(%rbx)
	mov %rbx, %rdi
	xor %esi, %esi			/* FUTEX_WAIT */
	mov $MB_REQUEST, %edx
	xor %r10d, %r10d
	mov $SYS_futex, %eax
	.org \futex_off - 2, 0x90
	syscall
	movl $0, MB_SLEEPING(%rbx)
	jmp 1b
.endm

	.section .rodata.moat_stub, "a"
	.globl moat_stub_code
	.globl moat_stub_code_end
	.code64

moat_stub_code:
handler:
	mov %rsp, %rbx
	and $-STUB_SLOT_SIZE, %rbx
	/* In the fast path's deferring range? (unsigned: below it wraps) */
	mov UC_RIP(%rdx), %rax
	movabs $(STUB_CODE + (fast_start - moat_stub_code)), %rcx
	sub %rcx, %rax
	cmp $(fast_exit - fast_start), %rax
	jae post
	movabs $STUB_SYNC_SIGNALS, %rcx
	bt %rdi, %rcx
	jc post
	/* After the answer: do the end again, which then sees `defer`. */
	cmp $(fast_done - fast_start), %rax
	jb 1f
	movabs $(STUB_CODE + (fast_done - moat_stub_code)), %rcx
	mov %rcx, UC_RIP(%rdx)
1:	mov %edi, MB_DEFER(%rbx)
	lea MB_DINFO(%rbx), %rdi
	mov $16, %ecx
	rep movsq
	movabs $STUB_DEFER_MASK, %rcx
	mov %rcx, UC_SIGMASK(%rdx)
	ret
post:
	mov %edi, MB_SIG(%rbx)
	mov %rsi, MB_INFO(%rbx)
	mov %rdx, MB_UC(%rbx)
	HAND_OFF STUB_BELL_OFF, STUB_FUTEX_OFF, done
done:
	movl $MB_RUNNING, MB_STATE(%rbx)
	ret

	.org STUB_RESTORER_OFF, 0xcc
restorer:
	mov $SYS_rt_sigreturn, %eax
	syscall
	ud2

	.org STUB_FAST_OFF, 0xcc
fast:
	movzbl PLATFORM_PATCH_BASE, %eax	/* the patch area's "on" byte */
	test %eax, %eax
	jz fast_slow
	.org STUB_FAST_GS_OFF, 0x90
	mov %gs:MB_SELF, %r11
	movabs $STUB_MAILBOX, %rax
	cmp %rax, %r11
	jb fast_slow
	add $STUB_AREA_SIZE, %rax
	cmp %rax, %r11
	jae fast_slow
	test $(STUB_SLOT_SIZE - 1), %r11d
	jnz fast_slow
fast_start:
	mov %rcx, MB_REC(%r11)
	mov %rdi, MB_REGS + 8 * MBR_RDI(%r11)
	mov %rsi, MB_REGS + 8 * MBR_RSI(%r11)
	mov %rdx, MB_REGS + 8 * MBR_RDX(%r11)
	mov %r10, MB_REGS + 8 * MBR_R10(%r11)
	mov %r8, MB_REGS + 8 * MBR_R8(%r11)
	mov %r9, MB_REGS + 8 * MBR_R9(%r11)
	mov %rbx, MB_REGS + 8 * MBR_RBX(%r11)
	mov %rbp, MB_REGS + 8 * MBR_RBP(%r11)
	mov %r12, MB_REGS + 8 * MBR_R12(%r11)
	mov %r13, MB_REGS + 8 * MBR_R13(%r11)
	mov %r14, MB_REGS + 8 * MBR_R14(%r11)
	mov %r15, MB_REGS + 8 * MBR_R15(%r11)
	mov %rsp, MB_REGS + 8 * MBR_RSP(%r11)
	mov %r11, %rbx			/* the slot, kept across syscalls */
	movl $0, MB_SIG(%rbx)
	HAND_OFF STUB_FAST_BELL_OFF, STUB_FAST_FUTEX_OFF, fast_done
fast_done:
	movl $MB_RUNNING, MB_STATE(%rbx)
	mov MB_REGS + 8 * MBR_RDI(%rbx), %rdi
	mov MB_REGS + 8 * MBR_RSI(%rbx), %rsi
	mov MB_REGS + 8 * MBR_RDX(%rbx), %rdx
	mov MB_REGS + 8 * MBR_R10(%rbx), %r10
	mov MB_RESULT(%rbx), %rax
	mov MB_REC(%rbx), %rcx
	cmpl $0, MB_DEFER(%rbx)
	jne fast_resync
	mov MB_REGS + 8 * MBR_RBX(%rbx), %rbx
fast_exit:
	jmp *REC_RET(%rcx)
fast_resync:
	mov MB_REGS + 8 * MBR_RBX(%rbx), %rbx
	mov $STUB_RESYNC_NR, %eax
	add $REC_RETRAP, %rcx
	jmp *%rcx

	.org STUB_FAST_SLOW_OFF, 0xcc
fast_slow:
	mov REC_NR(%rcx), %eax
	add $REC_RETRAP, %rcx
	jmp *%rcx

	/* A thread's exit, where the sentry's answer to its exit(2) sends
	 * it (rip; rdi the status; every signal blocked): the thread ends
	 * itself, without being held for an injected exit. */
	.org STUB_EXIT_OFF, 0xcc
thread_exit:
	mov $SYS_exit, %eax
	syscall
	ud2
moat_stub_code_end:

	.section .note.GNU-stack, "", @progbits
