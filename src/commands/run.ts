// `uninode run`: boot a program (built into the cache first) or an image file.

import path from "node:path";
import { flag, listOpt, stringOpt, type ParsedArgs } from "../args.js";
import { UsageError } from "../errors.js";
import { cachedImage, cachedKernel } from "../cache.js";
import { prepareBuild } from "../image/build.js";
import { readImage, type ImageInfo } from "../image/image.js";
import { planExec } from "../image/plan.js";
import { findKernel } from "../kernel.js";
import { describeAccel, detectAccel, type Accel, type AccelChoice } from "../vm/accel.js";
import type { PortForward } from "../vm/qemu-args.js";
import { makeReporter, type Command, type CommandContext, type Reporter } from "./command.js";
import { ARGUMENT_FILES_NOTE, EXEC_OPTIONS, execSpecFrom } from "./exec-options.js";

export const runCommand: Command = {
  name: "run",
  summary: "boot a program or an image in a VM and wait for it to exit",
  usage: ["run --exec PROGRAM [OPTIONS] [-- ARGS...]", "run [OPTIONS] IMAGE"],
  examples: [
    { command: "uninode run --exec ./hello", description: "build an image for ./hello (cached) and boot it" },
    { command: "uninode run --exec ls -- -la /", description: "run the host's ls, with arguments, inside a VM" },
    { command: "uninode run --exec node -- -e \"console.log(process.version)\"", description: "the host's node, evaluating a line of JavaScript in a VM" },
    { command: "uninode run --exec node -- script.js", description: "./script.js is copied to /app/script.js and run there" },
    { command: "uninode run --timeout 30 --verbose app.img", description: "boot an image built with `uninode build`, showing the kernel log" },
  ],
  notes: [ARGUMENT_FILES_NOTE],
  options: [
    ...EXEC_OPTIONS,
    { name: "memory", short: "m", value: "SIZE", description: "guest memory, e.g. 256M or 1G (default 256M)" },
    { name: "accel", value: "kvm|tcg", description: "force the accelerator (default: KVM when it is real hardware virtualization, else TCG)" },
    { name: "publish", short: "p", value: "[HOSTIP:]HOSTPORT:GUESTPORT[/udp]", repeatable: true, description: "forward a host port to a port in the VM (repeatable; host side 127.0.0.1 unless HOSTIP is given)" },
    { name: "timeout", value: "SECONDS", description: "stop the VM after this long and exit with status 124" },
    { name: "trace", description: "log every system call (strace-style) on stderr" },
    { name: "verbose", description: "show the kernel log, the QEMU command line and what is being done" },
  ],
  async run(args, ctx) {
    const verbose = flag(args, "verbose");
    const trace = flag(args, "trace");
    const report = makeReporter(ctx, verbose);
    const memory = parseMemory(stringOpt(args, "memory") ?? "256M");
    const forcedAccel = parseAccel(stringOpt(args, "accel"));
    const timeout = parseTimeout(stringOpt(args, "timeout"));
    const forwards = listOpt(args, "publish").map(parsePublish);

    const image = await imageToRun(args, ctx, report);
    const kernel = await cachedKernel(image);
    const choice: AccelChoice = forcedAccel ? { accel: forcedAccel, reason: "--accel" } : await detectAccel();
    report.progress(describeAccel(choice, forcedAccel !== undefined));

    const { runVm } = await import("../vm/launch.js");
    // Ctrl-C stops QEMU cleanly (the VM is gone before we exit 130), rather than orphaning it.
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const stdinErrors = () => undefined;
    ctx.stdin.on("error", stdinErrors);
    try {
      return await runVm({
        kernel,
        root: { file: image.path, offset: image.header.sections.rootfs.offset, size: image.header.sections.rootfs.size },
        memory,
        accel: choice.accel,
        cmdline: trace ? "trace" : "",
        network: { forwards },
        ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
        signal: abort.signal,
        stdin: ctx.stdin,
        stdout: ctx.stdout,
        stderr: ctx.stderr,
        showKernelLog: verbose || trace,
        debug: report.debug,
        ...(ctx.env["PATH"] !== undefined ? { searchPath: ctx.env["PATH"] } : {}),
      });
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      ctx.stdin.off("error", stdinErrors);
    }
  },
};

async function imageToRun(args: ParsedArgs, ctx: CommandContext, report: Reporter): Promise<ImageInfo> {
  const spec = execSpecFrom(args, ctx, "run");
  if (spec) {
    if (args.positionals.length > 0) {
      throw new UsageError(`Unexpected argument "${args.positionals[0]}"; with --exec, the program's arguments go after --.`);
    }
    const plan = await planExec(spec);
    const prepared = await prepareBuild(plan, await findKernel(ctx.env));
    const { image, hit } = await cachedImage(prepared);
    report.debug(`${hit ? "reusing" : "built"} cached image ${image.path}`);
    return image;
  }
  if (args.positionals.length === 0) {
    throw new UsageError("uninode run needs --exec PROGRAM or an IMAGE file; see 'uninode run --help'.");
  }
  if (args.positionals.length > 1) throw new UsageError(`uninode run takes one IMAGE, got ${args.positionals.length} arguments.`);
  if (args.passthrough !== undefined && args.passthrough.length > 0) {
    throw new UsageError("Arguments after -- need --exec: an image's command line is fixed when it is built.");
  }
  return readImage(path.resolve(ctx.cwd, args.positionals[0]!));
}

/** QEMU -m syntax; a bare number is MiB, as in QEMU. */
export function parseMemory(value: string): string {
  const m = /^(\d+)([MG]i?B?)?$/i.exec(value.trim());
  if (!m) throw new UsageError(`--memory expects a size such as 256M or 1G, got "${value}".`);
  const n = Number(m[1]);
  const mib = (m[2] ?? "M").toUpperCase().startsWith("G") ? n * 1024 : n;
  if (mib < 32) throw new UsageError(`--memory ${value} is too small; the guest needs at least 32M.`);
  return `${mib}M`;
}

export function parseAccel(value: string | undefined): Accel | undefined {
  if (value === undefined) return undefined;
  if (value === "kvm" || value === "tcg") return value;
  throw new UsageError(`--accel expects kvm or tcg, got "${value}".`);
}

export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--timeout expects a positive number of seconds, got "${value}".`);
  }
  return n;
}

/** -p [HOSTIP:]HOSTPORT:GUESTPORT[/tcp|/udp], as docker spells it. */
export function parsePublish(value: string): PortForward {
  const m = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d+):(\d+)(?:\/(tcp|udp))?$/.exec(value.trim());
  const port = (s: string) => {
    const n = Number(s);
    return n >= 1 && n <= 65535 ? n : undefined;
  };
  const hostPort = m ? port(m[2]!) : undefined;
  const guestPort = m ? port(m[3]!) : undefined;
  if (!m || hostPort === undefined || guestPort === undefined) {
    throw new UsageError(`--publish expects [HOSTIP:]HOSTPORT:GUESTPORT[/udp] with ports 1-65535, such as 8080:3000, got "${value}".`);
  }
  return { proto: m[4] === "udp" ? "udp" : "tcp", hostAddress: m[1] ?? "127.0.0.1", hostPort, guestPort };
}
