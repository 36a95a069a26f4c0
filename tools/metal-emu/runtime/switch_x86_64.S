/* Fiber context switch for x86-64 System V: saves the callee-saved registers on the current stack,
 * stores the stack pointer in *from and resumes the fiber whose stack pointer is `to`. */
    .text
    .globl emu_switch
    .hidden emu_switch
    .type emu_switch, @function
emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size emu_switch, .-emu_switch

/* First frame of a new fiber: emu_switch "returns" here with the entry function in rbx and its
 * argument in r12. The entry never returns (it switches away when the thread finishes). */
    .globl emu_fiber_entry
    .hidden emu_fiber_entry
    .type emu_fiber_entry, @function
emu_fiber_entry:
    movq %r12, %rdi
    callq *%rbx
    ud2
    .size emu_fiber_entry, .-emu_fiber_entry
    .section .note.GNU-stack,"",@progbits
