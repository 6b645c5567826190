// What the crash tests share: building the workload and the host-side volume checker,
// making volumes through the CLI, and running the workload in an image while noting
// each acknowledgement as it arrives.

import { execa, type ResultPromise } from "execa";
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";

export const root = resolve(import.meta.dirname, "../..");
export const cli = join(root, "dist/cli.js");
export const E2FSCK = "/sbin/e2fsck";

/** Compile the workload (static, so the image holds nothing else) into WORK/appender. */
export function buildAppender(work: string): string {
  const out = join(work, "appender");
  execFileSync("gcc", ["-static", "-O2", "-Wall", "-o", out, join(import.meta.dirname, "c/appender.c")]);
  return out;
}

/** Build the host-compiled volume checker into WORK/vc/volcheck. */
export function buildVolcheck(work: string): string {
  execFileSync("bash", [join(import.meta.dirname, "build-volcheck.sh"), join(work, "vc")], { stdio: "pipe" });
  return join(work, "vc/volcheck");
}

/** The CLI with its data (volumes) under WORK/data. */
export function cliEnv(work: string): Record<string, string> {
  return { XDG_DATA_HOME: join(work, "data"), XDG_CACHE_HOME: join(work, "cache") };
}

/** Create volume NAME (SIZE) and return its disk file. */
export async function createVolume(work: string, name: string, size = "16M"): Promise<string> {
  const r = await execa("node", [cli, "volume", "create", name, "--size", size, "--json"], { env: cliEnv(work) });
  return (JSON.parse(r.stdout) as { file: string }).file;
}

/** e2fsck -fn FILE: its exit status and what it said. */
export async function fsck(file: string): Promise<{ code: number; out: string }> {
  const r = await execa(E2FSCK, ["-fn", file], { reject: false, all: true });
  return { code: r.exitCode ?? -1, out: r.all ?? "" };
}

export interface WorkloadRun {
  proc: ResultPromise;
  /** Each acknowledged record, with what `onAck` returned when it arrived. */
  acks: Map<number, number>;
  /** Resolves when the workload has acknowledged N records (or the run ended first). */
  acked(n: number): Promise<void>;
}

/** Run the appender in an image with VOLUME at /data; `onAck` is called as each "acked N" arrives. */
export function runWorkload(work: string, appender: string, volume: string, args: string[],
  onAck: (n: number) => number = () => 0, extraEnv: Record<string, string> = {}): WorkloadRun {
  const proc = execa("node", [cli, "run", "--timeout", "600", "--exec", appender, "-v", `${volume}:/data`, "--", ...args],
    { env: { ...cliEnv(work), ...extraEnv }, reject: false, buffer: { stdout: false } });
  const acks = new Map<number, number>();
  const waiters: { n: number; resolve: () => void }[] = [];
  let tail = "";
  proc.stdout!.on("data", (chunk: Buffer) => {
    tail += chunk.toString();
    let nl: number;
    while ((nl = tail.indexOf("\n")) !== -1) {
      const line = tail.slice(0, nl);
      tail = tail.slice(nl + 1);
      const m = /^acked (\d+)$/.exec(line);
      if (!m) continue;
      const n = Number(m[1]);
      acks.set(n, onAck(n));
      for (const w of waiters.filter((w) => w.n <= n)) w.resolve();
    }
  });
  void proc.finally(() => { for (const w of waiters) w.resolve(); });
  return {
    proc, acks,
    acked: (n) => new Promise<void>((resolve) => { if ([...acks.keys()].some((k) => k >= n)) resolve(); else waiters.push({ n, resolve }); }),
  };
}

/** The highest record number acknowledged. */
export function lastAck(acks: Map<number, number>): number {
  return Math.max(0, ...acks.keys());
}
