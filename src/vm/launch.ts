// Runs one VM under QEMU and wires its serial ports to our process: COM1 ⇄ stdin/stdout,
// COM2 → stderr, COM3 → the kernel channel. The record on COM3 decides the exit status; the
// ways a VM can end badly (timeout, Ctrl-C, panic, no record, QEMU refusing to start) are VmErrors
// carrying the status CONTRACT.md gives them.

import type net from "node:net";
import { execa } from "execa";
import { UninodeError } from "../errors.js";
import { requireTool, whichTool } from "../tools.js";
import type { Accel } from "./accel.js";
import {
  EXIT_INTERRUPTED,
  EXIT_NO_RECORD,
  EXIT_TIMEOUT,
  KernelChannel,
  debugExitCode,
  exitStatusOf,
  signalName,
} from "./console.js";
import {
  type HostShare,
  type MachineType,
  QEMU_BINARY,
  buildQemuArgs,
  renderCommandLine,
  type NetworkConfig,
  type PrivateNic,
  type RootDisk,
  type VolumeDisk,
} from "./qemu-args.js";
import { drained, openSerialSockets } from "./serial.js";

export class VmError extends UninodeError {}

export interface RunVmOptions {
  kernel: string;
  root: RootDisk;
  memory: string;
  /** Virtual CPUs; default 1. */
  cpus?: number;
  machine?: MachineType;
  accel: Accel;
  cmdline: string;
  /** The guest's NIC on QEMU's user network, with published ports; none when absent. */
  network?: NetworkConfig;
  /** Private networks' NICs (eth1, ...). */
  privateNics?: PrivateNic[];
  /** Called once the kernel takes control lines (CONTRACT.md), with a function that writes one
   * into COM3: a foreground VM on a private network is told of members that start later. */
  onControl?: (write: (line: string) => void) => void;
  /** Volumes (vdb, vdc, ...) and host directories, as planMounts made them. */
  volumes?: VolumeDisk[];
  shares?: HostShare[];
  /** Stop the VM after this many seconds (exit 124). */
  timeoutSeconds?: number;
  /** Aborting stops the VM (Ctrl-C: exit 130). */
  signal?: AbortSignal;
  /** Receives a function that sends signal N to the program over the kernel channel
   * (CONTRACT.md); it answers false until the kernel is ready for input. */
  onSignalSender?: (send: (sig: number) => boolean) => void;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Show every kernel-channel line on stderr (--verbose, --trace). */
  showKernelLog: boolean;
  /** uninode's own diagnostics, shown with --verbose. */
  debug: (message: string) => void;
  /** Called once, when the kernel says it is up or the program's first output arrives,
   * whichever is first (the end of the "booting" progress line). */
  onReady?: () => void;
  /** PATH to find QEMU on (tests). */
  searchPath?: string;
}

/** How many kernel lines before a fault record are shown when the log was hidden. */
const REPORT_LINES = 40;
const KERNEL_PREFIX = "[kernel] ";
/** The kernel's first line on COM3: its UARTs are set up and may be sent input. */
const READY_LINE = "uninode:ready";

/** The sentence for a QEMU that refused to start, from what it said on stderr (`complaint` the
 * line that matters). Its image-lock refusal names the file, not the option that opened it: a
 * volume someone else uses past our own lock (volume-locks.ts). */
export function qemuFailure(said: readonly string[], complaint: string): string {
  const locked = said.some((l) => /Failed to get ".*" lock/.test(l));
  const image = said.map((l) => /^Is another process using the image \[(.*)\]\?$/.exec(l)).find((m) => m !== null);
  if (locked && image) return `QEMU could not lock ${image[1]}: another process (another VM?) is using it.`;
  return `QEMU could not start the VM: ${complaint.replace(/^[^:]*: /, "")}.`;
}

/** Boots the VM and resolves with the program's exit status; abnormal ends throw VmError. */
export async function runVm(o: RunVmOptions): Promise<number> {
  const qemu = await requireTool(QEMU_BINARY, o.searchPath);
  const serial = await openSerialSockets();
  try {
    const args = buildQemuArgs({
      memory: o.memory,
      cpus: o.cpus ?? 1,
      ...(o.machine ? { machine: o.machine } : {}),
      accel: o.accel,
      kernel: o.kernel,
      cmdline: o.cmdline,
      serialSockets: { com1: serial.ports.com1.path, com2: serial.ports.com2.path, com3: serial.ports.com3.path },
      root: o.root,
      ...(o.network ? { network: o.network } : {}),
      ...(o.privateNics ? { privateNics: o.privateNics } : {}),
      ...(o.volumes ? { volumes: o.volumes } : {}),
      ...(o.shares ? { shares: o.shares } : {}),
    });
    o.debug(renderCommandLine(qemu, args));

    // The kernel says when its UARTs can take input (CONTRACT.md); nothing is sent before.
    let kernelReady: () => void = () => undefined;
    const ready = new Promise<void>((r) => (kernelReady = r));
    let up = false;
    const booted = () => {
      if (!up) o.onReady?.();
      up = true;
    };
    const channel = new KernelChannel((line) => {
      if (line === READY_LINE) {
        booted();
        return kernelReady();
      }
      if (o.showKernelLog) o.stderr.write(KERNEL_PREFIX + line + "\n");
    });
    // QEMU outlives a CLI killed outright (SIGKILL, a runner's timeout) unless the kernel ends it
    // with its parent: util-linux's setpriv (--pdeathsig since 2.33, 2018) asks for that
    // (PR_SET_PDEATHSIG) and then becomes QEMU.
    const setpriv = await whichTool("setpriv", o.searchPath);
    const [bin, argv] = setpriv ? [setpriv, ["--pdeathsig", "SIGTERM", "--", qemu, ...args]] : [qemu, args];
    const child = execa(bin, argv, {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      reject: false,
      // QEMU stops cleanly on SIGTERM; SIGKILL only if it hangs.
      killSignal: "SIGTERM",
      forceKillAfterDelay: 3000,
      ...(o.timeoutSeconds !== undefined ? { timeout: Math.round(o.timeoutSeconds * 1000) } : {}),
      ...(o.signal !== undefined ? { cancelSignal: o.signal } : {}),
    });

    // Wire each port as QEMU connects; QEMU opens its chardevs before the guest runs.
    const sockets: net.Socket[] = [];
    const track = (s: net.Socket) => {
      sockets.push(s);
      // A reset when QEMU is killed is an ordinary end here, not a crash.
      s.on("error", (err) => o.debug(`serial socket: ${err.message}`));
    };
    void serial.ports.com1.connected.then((s) => {
      track(s);
      s.once("data", booted);
      s.pipe(o.stdout as NodeJS.WritableStream, { end: false });
      // A reader that went away (`| head`): keep draining COM1 so the guest never blocks on it.
      o.stdout.once("error", () => {
        s.unpipe();
        s.resume();
      });
      s.resume();
    });
    // stdin: raw bytes on COM1. Never end COM1 when our stdin ends (QEMU would take that as a
    // disconnect); say it on COM3 instead, with the byte count (CONTRACT.md: stdin-eof).
    void Promise.all([serial.ports.com1.connected, serial.ports.com3.connected, ready]).then(([com1, com3]) => {
      let sent = 0;
      o.stdin.on("data", (chunk: Buffer | string) => (sent += Buffer.byteLength(chunk)));
      o.stdin.once("end", () => com3.write(`stdin-eof ${sent}\n`));
      o.stdin.pipe(com1, { end: false });
    });
    void serial.ports.com2.connected.then((s) => {
      track(s);
      s.once("data", booted);
      s.pipe(o.stderr as NodeJS.WritableStream, { end: false });
      o.stderr.once("error", () => {
        s.unpipe();
        s.resume();
      });
      s.resume();
    });
    void serial.ports.com3.connected.then((s) => {
      track(s);
      s.on("data", (chunk: Buffer) => channel.push(chunk));
      s.resume();
    });
    let com3Ready: net.Socket | undefined;
    const sent = new Set<number>();
    void Promise.all([serial.ports.com3.connected, ready]).then(([com3]) => {
      com3Ready = com3;
      o.onControl?.((line) => {
        if (!com3.destroyed) com3.write(line);
      });
    });
    o.onSignalSender?.((sig) => {
      if (!com3Ready || com3Ready.destroyed) return false;
      com3Ready.write(`signal ${sig}\n`);
      sent.add(sig);
      return true;
    });

    const result = await child;
    // Everything QEMU wrote before exiting is still in the socket buffers: read it all.
    await Promise.all(sockets.map((s) => drained(s, 2000)));
    o.stdin.unpipe();
    if ("pause" in o.stdin && typeof o.stdin.pause === "function") o.stdin.pause();
    channel.end();

    const qemuSaid = (result.stderr ?? "")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "");
    if (o.signal?.aborted || result.isCanceled) throw new VmError("INTERRUPTED", "", { exitCode: EXIT_INTERRUPTED });
    if (result.timedOut) {
      throw new VmError("VM_TIMEOUT", `The VM ran longer than --timeout ${o.timeoutSeconds} s and was stopped.`, {
        exitCode: EXIT_TIMEOUT,
      });
    }

    const record = channel.record;
    const showReport = () => {
      if (o.showKernelLog) return; // already on screen
      for (const l of channel.recentLines().slice(-REPORT_LINES)) o.stderr.write(KERNEL_PREFIX + l + "\n");
    };
    if (record) {
      if (result.exitCode !== debugExitCode(record.kind)) {
        o.debug(`QEMU exited with status ${result.exitCode}, expected ${debugExitCode(record.kind)} after uninode:${record.kind}`);
      }
      switch (record.kind) {
        case "exit":
          return exitStatusOf(record);
        case "signal":
          // A death by a signal the user sent (Ctrl-C) needs no kernel report.
          if (!sent.has(record.signal)) showReport();
          throw new VmError(
            "PROGRAM_SIGNALED",
            `The program died of ${signalName(record.signal)} (signal ${record.signal}).`,
            { exitCode: exitStatusOf(record) },
          );
        case "panic":
          showReport();
          throw new VmError("KERNEL_PANIC", `The kernel panicked: ${record.message || "no message"}.`, {
            exitCode: exitStatusOf(record),
          });
      }
    }

    // No record. If QEMU complained and the kernel never spoke, QEMU itself refused to run.
    const complaint = qemuSaid.find((l) => l.startsWith(`${QEMU_BINARY}:`) || /error/i.test(l));
    if (channel.bytesSeen === 0 && result.exitCode !== 0 && complaint !== undefined) {
      throw new VmError("QEMU_FAILED", qemuFailure(qemuSaid, complaint));
    }
    showReport();
    const how =
      result.exitCode === 0
        ? "QEMU exited normally, so the guest reset or powered off"
        : `QEMU exit status ${result.exitCode ?? result.signal ?? "unknown"}`;
    for (const l of qemuSaid) o.debug(`qemu: ${l}`);
    throw new VmError("VM_NO_EXIT_RECORD", `The VM stopped without an exit record (${how}).`, { exitCode: EXIT_NO_RECORD });
  } finally {
    await serial.close();
  }
}
