// Starting the two VM targets under QEMU directly, with the very machine `uninode run` builds
// (src/vm/qemu-args.ts's buildQemuArgs: q35, no defaults, the same accelerator, memory and CPU
// model, three UARTs, the isa-debug-exit device, a virtio-net NIC on the user network or a
// tap). uninode boots its kernel.elf with the root fs as a window of the image; the microVM
// boots Debian's vmlinuz with the initramfs and no disk. Only that part of the line differs.

import { mkdir, readFile, rm } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import type { Accel } from "../src/vm/accel.js";
import { parseRecord } from "../src/vm/console.js";
import { QEMU_BINARY, buildQemuArgs, networkArgs, qemuOptValue, type PortForward, type RootDisk, type VolumeDisk } from "../src/vm/qemu-args.js";

export type VmTarget = "uninode" | "linux-microvm";

export interface Guest {
  target: VmTarget;
  kernel: string;
  cmdline: string;
  root?: RootDisk;
  initrd?: string;
  /** Volumes, attached as `uninode run -v` attaches them (volumeDiskArgs): uninode sees the
   * first as vdb, after its root; the microVM, which has no root disk, as vda. */
  volumes?: VolumeDisk[];
}

export type GuestNet = { kind: "user"; forwards: PortForward[] } | { kind: "tap"; ifname: string };

export interface LaunchOptions {
  memory: string;
  accel: Accel;
  net?: GuestNet;
  /** -icount shift=0,sleep=off: timer interrupts land on the same instructions every run. */
  icount?: boolean;
  /** The instruction-counting plugin and the file it writes its total to. */
  plugin?: { so: string; out: string };
  /** A QMP socket (memory inspection). */
  qmp?: string;
  /** Where the serial logs go (created). */
  workDir: string;
  /** Run QEMU inside this network namespace (`ip netns exec`). */
  netns?: string;
}

/** The microVM's kernel command line: serial console, quiet, and the address init gives eth0. */
export function microvmCmdline(net: string | undefined): string {
  const parts = ["console=ttyS0", "quiet", "panic=-1"];
  if (net !== undefined) parts.push(`benchnet=${net}`);
  return parts.join(" ");
}

export function netArgs(n: GuestNet): string[] {
  if (n.kind === "user") return networkArgs({ forwards: n.forwards });
  return ["-netdev", `tap,id=net0,ifname=${qemuOptValue(n.ifname)},script=no,downscript=no`, "-device", "virtio-net-pci,netdev=net0"];
}

export function serialFiles(workDir: string) {
  return { com1: path.join(workDir, "com1.log"), com2: path.join(workDir, "com2.log"), com3: path.join(workDir, "com3.log") };
}

/** QEMU's arguments for one boot (without the binary): uninode's own machine, from
 * buildQemuArgs; the microVM's is the same less the root disk, plus -initrd. */
export function vmArgs(g: Guest, o: LaunchOptions): string[] {
  const base = buildQemuArgs({
    memory: o.memory,
    cpus: 1,
    accel: o.accel,
    kernel: g.kernel,
    cmdline: g.cmdline,
    serialFiles: serialFiles(o.workDir),
    ...(o.qmp ? { qmpSocket: o.qmp } : {}),
    root: g.root ?? { file: "none", offset: 0, size: 0 },
    ...(g.volumes ? { volumes: g.volumes } : {}),
  });
  const args = g.root ? base : withoutRootDisk(base);
  if (g.initrd) args.push("-initrd", g.initrd);
  if (o.icount) args.push("-icount", "shift=0,sleep=off");
  if (o.plugin) args.push("-plugin", `${qemuOptValue(o.plugin.so)},out=${qemuOptValue(o.plugin.out)}`);
  if (o.net) args.push(...netArgs(o.net));
  return args;
}

/** Drops `-blockdev ...node-name=root...` and the virtio-blk device that uses it. */
export function withoutRootDisk(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1] ?? "";
    if (args[i] === "-blockdev" && next.includes("node-name=root")) i++;
    else if (args[i] === "-device" && /^virtio-blk-[a-z]+,drive=root$/.test(next)) i++;
    else out.push(args[i]!);
  }
  return out;
}

export interface VmEnd {
  /** The program's exit status, when it exited by itself. */
  status?: number;
  /** Why there is no status (killed, panic, QEMU error). */
  reason?: string;
}

export interface RunningVm {
  child: ResultPromise;
  done: Promise<VmEnd>;
  workDir: string;
  /** Stops QEMU (SIGKILL) and waits for it. */
  kill(): Promise<void>;
}

/** Starts QEMU; `done` resolves when it ends, with the program's status read from its exit. */
export async function startVm(g: Guest, o: LaunchOptions): Promise<RunningVm> {
  await rm(o.workDir, { recursive: true, force: true });
  await mkdir(o.workDir, { recursive: true });
  const args = vmArgs(g, o);
  const [bin, full] = o.netns ? ["ip", ["netns", "exec", o.netns, QEMU_BINARY, ...args]] : [QEMU_BINARY, args];
  const child = execa(bin, full, { reject: false, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 600_000 });
  const done = (async (): Promise<VmEnd> => {
    const r = await child;
    return interpretEnd(g.target, r.exitCode, r.signal ?? undefined, r.stderr.toString(), o.workDir);
  })();
  return {
    child,
    done,
    workDir: o.workDir,
    async kill() {
      child.kill("SIGKILL");
      await done;
    },
  };
}

async function interpretEnd(target: VmTarget, code: number | undefined, signal: string | undefined, qemuErr: string, workDir: string): Promise<VmEnd> {
  if (signal) return { reason: `QEMU stopped by ${signal}` };
  const files = serialFiles(workDir);
  if (target === "uninode") {
    const log = await readFile(files.com3, "utf8").catch(() => "");
    for (const line of log.split("\n").reverse()) {
      const r = parseRecord(line.trim());
      if (r === undefined) continue;
      if (r.kind === "exit") return { status: r.code };
      if (r.kind === "signal") return { status: 128 + r.signal };
      return { reason: `kernel panic: ${r.message}` };
    }
    return { reason: `no exit record (QEMU status ${code}${qemuErr ? `: ${firstLine(qemuErr)}` : ""})` };
  }
  // The microVM's init writes the status to isa-debug-exit: QEMU exits with (v << 1) | 1.
  if (code !== undefined && code % 2 === 1) return { status: (code - 1) / 2 };
  return { reason: `QEMU exited with ${code}${qemuErr ? `: ${firstLine(qemuErr)}` : ""}` };
}

function firstLine(s: string): string {
  return s.trim().split("\n")[0] ?? "";
}

/** What the program wrote (uninode: COM1 and COM2; the microVM: its console). */
export async function guestOutput(vm: RunningVm): Promise<string> {
  const f = serialFiles(vm.workDir);
  const parts = await Promise.all([f.com1, f.com2].map((p) => readFile(p, "utf8").catch(() => "")));
  return parts.join("");
}

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

/** Sends one QMP command with arguments and returns its `return` (throws on `error`). */
export async function qmpCommand(socket: string, command: string, args: Record<string, unknown>, timeoutMs = 60_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socket);
    let buf = "";
    let stage = 0;
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`QMP ${command} timed out`));
    }, timeoutMs);
    s.on("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
    s.on("data", (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
        buf = buf.slice(nl + 1);
        if ("event" in msg) continue;
        if (stage === 0 && "QMP" in msg) {
          stage = 1;
          s.write(JSON.stringify({ execute: "qmp_capabilities" }) + "\n");
        } else if (stage === 1) {
          stage = 2;
          s.write(JSON.stringify({ execute: command, arguments: args }) + "\n");
        } else if (stage === 2) {
          clearTimeout(t);
          s.destroy();
          if ("error" in msg) reject(new Error(`QMP ${command}: ${JSON.stringify(msg["error"])}`));
          else resolve(msg["return"]);
        }
      }
    });
  });
}
