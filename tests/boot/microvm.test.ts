// QEMU's microvm machine: no PCI, the root disk on virtio-mmio. Through the CLI
// (`run --machine microvm`: acpi=off, so QEMU names the transport on the kernel command line as
// virtio_mmio.device=... and the disk runs on its interrupt), and with QEMU's own command line
// and ACPI on (QEMU 7.2 drops the name under PVH): the kernel then finds the transport by
// scanning and polls it. COM2/COM3 are isa-serial devices there (microvm makes only COM1).

import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
let work: string;
let image: { path: string; kernel: string; offset: number; size: number };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-boot-microvm-"));
  await writeFile(
    join(work, "hello.c"),
    '#include <stdio.h>\n#include <unistd.h>\nint main(void) { char exe[64] = ""; readlink("/proc/self/exe", exe, sizeof exe - 1);\n' +
      '  printf("hello from microvm, %s\\n", exe); fprintf(stderr, "to stderr\\n"); return 7; }\n',
  );
  execFileSync("gcc", ["-static", "-O2", "-o", join(work, "hello"), join(work, "hello.c")]);
  const img = join(work, "hello.img");
  await execa("node", [cli, "build", "--exec", join(work, "hello"), "-o", img]);
  const { readImage, extractSection } = await import(join(root, "dist/image/image.js"));
  const info = await readImage(img);
  const kernel = join(work, "kernel.elf");
  await extractSection(info, "kernel", kernel);
  image = { path: img, kernel, offset: info.header.sections.rootfs.offset, size: info.header.sections.rootfs.size };
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function bootMicrovm(machine: string) {
  const out = (n: number) => join(work, `${machine.replace(/\W/g, "_")}.com${n}`);
  const args = [
    "-M", machine, "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
    "-m", "256M", "-smp", "1", "-accel", "tcg", "-cpu", "max", "-kernel", image.kernel,
    "-chardev", `file,id=com1,path=${out(1)}`, "-chardev", `file,id=com2,path=${out(2)}`,
    "-chardev", `file,id=com3,path=${out(3)}`, "-serial", "chardev:com1",
    "-device", "isa-serial,chardev=com2,iobase=0x2f8,irq=3,index=1",
    "-device", "isa-serial,chardev=com3,iobase=0x3e8,irq=4,index=2",
    "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
    "-blockdev", `driver=raw,node-name=root,file.driver=file,file.filename=${image.path},file.locking=off,offset=${image.offset},size=${image.size},read-only=on`,
    "-device", "virtio-blk-device,drive=root",
  ];
  const r = await execa("qemu-system-x86_64", args, { reject: false, timeout: 240_000 });
  const [stdout, stderr, kernel] = await Promise.all([1, 2, 3].map((n) => readFile(out(n), "utf8")));
  return { status: r.exitCode, stdout, stderr, kernel };
}

describe("microvm", () => {
  it("runs a static program through the CLI, its disk on virtio-mmio and its interrupt", async () => {
    const r = await execa("node", [cli, "run", "--machine", "microvm", "--verbose", "--timeout", "240", image.path], { reject: false });
    expect(r.stdout).toBe("hello from microvm, /app/hello");
    expect(r.stderr).toMatch(/\[kernel\] virtio-blk: vda: .* virtio-mmio, .* INTx/);
    expect(r.stderr).toMatch(/to stderr/);
    expect(r.exitCode).toBe(7);
  }, 300_000);

  it("boots from QEMU's own command line too (acpi=off: QEMU names the device)", async () => {
    const r = await bootMicrovm("microvm,acpi=off");
    expect(r.stdout).toBe("hello from microvm, /app/hello\n");
    expect(r.stderr).toBe("to stderr\n");
    expect(r.kernel).toMatch(/^uninode:ready\n/);
    expect(r.kernel).toMatch(/virtio-blk: vda: .* virtio-mmio, .* INTx/);
    expect(r.kernel).toMatch(/uninode:exit 7\n$/);
    expect(r.status).toBe(1); // isa-debug-exit: (0 << 1) | 1 after an exit record
  }, 300_000);

  it("finds the disk by scanning when the command line does not name it, and polls it", async () => {
    const r = await bootMicrovm("microvm");
    expect(r.stdout).toBe("hello from microvm, /app/hello\n");
    expect(r.kernel).toMatch(/virtio-blk: vda: .* virtio-mmio, .* polled/);
    expect(r.kernel).toMatch(/uninode:exit 7\n$/);
    expect(r.status).toBe(1);
  }, 300_000);
});
