// A stand-in kernel for testing the VM runner without the real one: a few dozen bytes of 32-bit
// code that QEMU boots through PVH (the Xen ELF note), writes fixed bytes to the three UARTs,
// optionally echoes one line from COM1 (stdin), and leaves through isa-debug-exit, or hangs.

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";

export interface FakeKernel {
  com1?: Buffer | string;
  com2?: Buffer | string;
  com3?: Buffer | string;
  /** Say uninode:ready on COM3, then read COM1 until a newline and write the line back to COM1 (after com1). */
  echoLine?: boolean;
  /** Value written to isa-debug-exit (QEMU exits with (v << 1) | 1); "hang" spins forever. */
  exit: number | "hang";
}

const bytes = (b: Buffer | string | undefined) =>
  [...Buffer.from(b ?? "")].concat(0).join(",");

/** Assembles and links the kernel into dir/name with binutils; returns its path. */
export function buildFakeKernel(dir: string, name: string, k: FakeKernel): string {
  const asm = `
    .section .note.Xen, "a", @note
    .align 4
    .long 4, 4, 18            # XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .long _start
    .text
    .code32
    .globl _start
_start:
    mov $stack_top, %esp
    mov $com1, %esi
    mov $0x3f8, %dx
    call puts
    ${k.echoLine ? "mov $ready, %esi\n    mov $0x3e8, %dx\n    call puts\n    call echo" : ""}
    mov $com2, %esi
    mov $0x2f8, %dx
    call puts
    mov $com3, %esi
    mov $0x3e8, %dx
    call puts
    ${k.exit === "hang" ? "1: pause\n    jmp 1b" : `mov $0xf4, %dx\n    mov $${k.exit}, %eax\n    out %eax, %dx\n    hlt`}
puts:                          # write the NUL-terminated bytes at %esi to port %dx
    lodsb
    test %al, %al
    jz 2f
    out %al, %dx
    jmp puts
2:  ret
echo:                          # copy COM1 input to COM1 output up to and including a newline
    mov $0x3fd, %dx            # line status register: bit 0 = data ready
3:  in %dx, %al
    test $1, %al
    jz 3b
    mov $0x3f8, %dx
    in %dx, %al
    out %al, %dx
    cmp $10, %al
    jne echo
    ret
    .data
com1: .byte ${bytes(k.com1)}
com2: .byte ${bytes(k.com2)}
com3: .byte ${bytes(k.com3)}
ready: .byte ${bytes("uninode:ready\n")}
    .bss
    .align 16
    .skip 4096
stack_top:
`;
  const src = path.join(dir, `${name}.S`);
  const obj = path.join(dir, `${name}.o`);
  const out = path.join(dir, `${name}.elf`);
  writeFileSync(src, asm);
  execFileSync("as", ["--64", "-o", obj, src], { stdio: "pipe" });
  execFileSync("ld", ["-m", "elf_x86_64", "-static", "-Ttext=0x100000", "-e", "_start", "-o", out, obj], { stdio: "pipe" });
  return out;
}
