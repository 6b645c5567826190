// The kernel's second entry: GRUB loads kernel.elf with Multiboot2 (BIOS,
// from a rescue ISO) and the kernel runs a program from a virtio-blk root fs,
// as it would on bare metal. The CLI boots PVH; this covers the other path.

import { execa } from "execa";
import { mkdtemp, mkdir, readFile, rm, writeFile, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const kernel = process.env["UNINODE_KERNEL"] ?? join(root, "build/kernel.elf");
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-mb2-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test("GRUB boots kernel.elf through Multiboot2 and the program's output and exit status come back", async () => {
  // The root fs: a static hello and the boot manifest (CONTRACT.md).
  const fs = join(work, "rootfs");
  for (const d of ["app", ".uninode", "tmp", "dev", "proc"]) await mkdir(join(fs, d), { recursive: true });
  await execa("gcc", ["-O2", "-static", "-o", join(fs, "app/hello"), join(root, "tests/conformance/c/hello.c")]);
  await writeFile(join(fs, ".uninode/boot"), "exec /app/hello\narg hello\ncwd /app\n");
  const disk = join(work, "root.img");
  await execa("mke2fs", ["-q", "-t", "ext2", "-b", "4096", "-d", fs, disk, "16M"], { env: { PATH: `${process.env["PATH"]}:/usr/sbin:/sbin` } });

  const iso = join(work, "iso");
  await mkdir(join(iso, "boot/grub"), { recursive: true });
  await copyFile(kernel, join(iso, "boot/kernel.elf"));
  await writeFile(
    join(iso, "boot/grub/grub.cfg"),
    'set timeout=0\nserial --unit=0 --speed=115200\nterminal_output serial\nmenuentry "uninode" {\n  multiboot2 /boot/kernel.elf boot-times\n  boot\n}\n',
  );
  await execa("grub-mkrescue", ["-o", join(work, "uninode.iso"), iso]);

  const out = (n: number) => join(work, `com${n}`);
  const r = await execa(
    "qemu-system-x86_64",
    [
      "-M", "q35", "-accel", "tcg", "-cpu", "max", "-m", "256M", "-nodefaults", "-no-user-config",
      "-display", "none", "-no-reboot", "-cdrom", join(work, "uninode.iso"),
      "-serial", `file:${out(1)}`, "-serial", `file:${out(2)}`, "-serial", `file:${out(3)}`,
      "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
      "-drive", `file=${disk},format=raw,if=none,id=root,readonly=on`, "-device", "virtio-blk-pci,drive=root",
    ],
    { reject: false, timeout: 120_000 },
  );
  const com1 = await readFile(out(1), "utf8");
  const com2 = await readFile(out(2), "utf8");
  const com3 = await readFile(out(3), "utf8");
  expect(com3).toContain("multiboot2 boot");
  expect(com1).toContain("hello from uninode\n");
  expect(com2).toBe("a line on stderr\n");
  expect(com3.trimEnd().split("\n").pop()).toBe("uninode:exit 0");
  expect(r.exitCode).toBe(1); // isa-debug-exit: (0 << 1) | 1
}, 180_000);
