// The VM runner against a stand-in kernel (fake-kernel.ts) under QEMU: serial wiring, exit
// records, exit statuses, timeout and interruption. The real kernel's boot tests live in tests/boot.

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { UninodeError } from "../../src/errors.js";
import { whichTool } from "../../src/tools.js";
import { runVm, type RunVmOptions } from "../../src/vm/launch.js";
import { buildFakeKernel, type FakeKernel } from "./fake-kernel.js";
import { tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const disk = path.join(tmp.dir, "disk.img");
writeFileSync(disk, Buffer.alloc(8192));
const hasQemu = (await whichTool("qemu-system-x86_64")) !== undefined;
const hasBinutils = (() => {
  try {
    execFileSync("as", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

interface Run {
  status?: number;
  error?: UninodeError;
  stdout: Buffer;
  stderr: string;
}

let n = 0;
async function boot(k: FakeKernel, extra: Partial<RunVmOptions> = {}, stdinData?: string): Promise<Run> {
  const kernel = buildFakeKernel(tmp.dir, `k${n++}`, k);
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (b: Buffer) => out.push(b));
  stderr.on("data", (b: Buffer) => err.push(b));
  if (stdinData !== undefined) stdin.write(stdinData);
  const run: Run = { stdout: Buffer.alloc(0), stderr: "" };
  try {
    run.status = await runVm({
      kernel,
      root: { file: disk, offset: 4096, size: 4096 },
      memory: "64M",
      accel: "tcg",
      cmdline: "",
      stdin,
      stdout,
      stderr,
      showKernelLog: false,
      debug: () => undefined,
      ...extra,
    });
  } catch (e) {
    if (!(e instanceof UninodeError)) throw e;
    run.error = e;
  }
  run.stdout = Buffer.concat(out);
  run.stderr = Buffer.concat(err).toString();
  return run;
}

describe.skipIf(!hasQemu || !hasBinutils)("runVm with a stand-in kernel (needs qemu-system-x86_64 and binutils)", () => {
  it("streams COM1 to stdout and COM2 to stderr, hides the kernel log, and exits with the record's N", async () => {
    const r = await boot({ com1: "hello stdout\n", com2: "hello stderr\n", com3: "booted\nuninode:exit 7\n", exit: 0 });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(7);
    expect(r.stdout.toString()).toBe("hello stdout\n");
    expect(r.stderr).toBe("hello stderr\n");
  });

  it("keeps stdout binary-safe", async () => {
    const all = Buffer.from(Array.from({ length: 255 }, (_, i) => i + 1)); // every byte but NUL
    const r = await boot({ com1: all, com3: "uninode:exit 0\n", exit: 0 });
    expect(r.status).toBe(0);
    expect(r.stdout.equals(all)).toBe(true);
  });

  it("passes stdin to COM1", async () => {
    const r = await boot({ com1: "> ", echoLine: true, com3: "uninode:exit 0\n", exit: 0 }, {}, "ping\n");
    expect(r.stdout.toString()).toBe("> ping\n");
  });

  it("shows the kernel log with showKernelLog, prefixed", async () => {
    const r = await boot({ com3: "booted\nuninode:exit 0\n", exit: 0 }, { showKernelLog: true });
    expect(r.stderr).toBe("[kernel] booted\n[kernel] uninode:exit 0\n");
  });

  it("reports a signal death with the kernel's report and 128+N", async () => {
    const r = await boot({ com3: "booted\npage fault at 0x0 rip=0x401000\nuninode:signal 11\n", exit: 1 });
    expect(r.error?.exitCode).toBe(139);
    expect(r.error?.message).toBe("The program died of SIGSEGV (signal 11).");
    expect(r.stderr).toContain("[kernel] page fault at 0x0 rip=0x401000\n");
  });

  it("reports a panic with status 70", async () => {
    const r = await boot({ com3: "uninode:panic out of frames\n", exit: 2 });
    expect(r.error?.code).toBe("KERNEL_PANIC");
    expect(r.error?.exitCode).toBe(70);
    expect(r.error?.message).toBe("The kernel panicked: out of frames.");
  });

  it("says when the VM stops without an exit record (70)", async () => {
    const r = await boot({ com3: "booted\n", exit: 0 });
    expect(r.error?.code).toBe("VM_NO_EXIT_RECORD");
    expect(r.error?.exitCode).toBe(70);
    expect(r.error?.message).toMatch(/^The VM stopped without an exit record/);
  });

  it("stops a VM that runs past --timeout (124)", async () => {
    const r = await boot({ com1: "spinning\n", exit: "hang" }, { timeoutSeconds: 2 });
    expect(r.error?.code).toBe("VM_TIMEOUT");
    expect(r.error?.exitCode).toBe(124);
    expect(r.stdout.toString()).toBe("spinning\n");
  });

  it("stops the VM when interrupted (130)", async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 1500);
    const r = await boot({ exit: "hang" }, { signal: abort.signal });
    expect(r.error?.code).toBe("INTERRUPTED");
    expect(r.error?.exitCode).toBe(130);
  });

  it("turns QEMU's refusal to start into one sentence", async () => {
    const r = await boot({ exit: 0 }, { memory: "64T" });
    expect(r.error?.code).toBe("QEMU_FAILED");
    expect(r.error?.message).toMatch(/^QEMU could not start the VM: /);
    expect(r.error?.message.split("\n")).toHaveLength(1);
  });
});
