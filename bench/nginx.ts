// The nginx phase (issue 11): Debian's nginx from apps/nginx's recipe, in uninode and in the
// Linux microVM (whose initramfs is the same image's root fs, so the same nginx binary, libraries
// and config), each booted once, then wrk at 50 connections over QEMU's user network against a
// small page and a 1 MiB file. The bench's copy of the recipe logs no access lines: both VMs
// would otherwise spend the run writing them to an emulated serial port.

import path from "node:path";
import { lastLine, na, runWrk, type Cell, type PhaseContext } from "./phases.js";
import { firstOk, type WrkResult } from "./measure.js";
import { VM_TARGETS, startTarget, type TargetName, type VmTargetName } from "./targets.js";
import { freePort } from "./vm.js";

/** The port nginx listens on in the image (the recipe's default site). */
export const NGINX_PORT = 80;

/** What the bench adds to its copy of the recipe's pages: a 1 MiB file of fixed bytes. */
export const NGINX_BIG = { name: "bench-1m.bin", bytes: 1 << 20 };

export interface NginxPlan {
  conns: number;
  seconds: number;
}

/** The files wrk fetches, by path, with the size the row names. */
export const NGINX_FILES = [
  { path: "/index.html", label: "the recipe's index page" },
  { path: `/${NGINX_BIG.name}`, label: "a 1 MiB file" },
] as const;

export interface NginxResults {
  plan: NginxPlan;
  /** Per VM target, one wrk result per NGINX_FILES entry (same order). */
  runs: Record<VmTargetName, Cell<WrkResult>[]>;
}

/** The bytes of the bench's 1 MiB file: fixed, so the image is the same from run to run. */
export function bigFileBytes(): Buffer {
  const b = Buffer.alloc(NGINX_BIG.bytes);
  for (let i = 0; i < b.length; i++) b[i] = (i * 2654435761) >>> 24;
  return b;
}

/** Boot each VM target once and run wrk against each file in it. */
export async function nginxPhase(ctx: PhaseContext, plan: NginxPlan): Promise<NginxResults> {
  const runs = {} as Record<VmTargetName, Cell<WrkResult>[]>;
  for (const t of VM_TARGETS) {
    const port = await freePort();
    const s = await startTarget(t, "nginx", ctx.prepared, { net: { kind: "user", hostPort: port }, memory: ctx.memory, accel: ctx.accel, workDir: path.join(ctx.workDir, `nginx-${t}`) });
    try {
      const at = await firstOk(`http://127.0.0.1:${port}/`, s.done, 180_000, 50);
      if (at === undefined) {
        const why = `no HTTP 200 within 180 s: ${lastLine(await s.output())}`;
        runs[t] = NGINX_FILES.map(() => na<WrkResult>(why));
        continue;
      }
      // One request each first, so neither VM's first read of the file is in the timed run.
      for (const f of NGINX_FILES) await firstOk(`http://127.0.0.1:${port}${f.path}`, s.done, 30_000);
      runs[t] = [];
      for (const f of NGINX_FILES) {
        const r = await runWrk(ctx, plan.conns, plan.seconds, `http://127.0.0.1:${port}${f.path}`);
        runs[t].push(r);
        ctx.log(`  nginx ${t} ${f.path}: ${"ok" in r ? `${r.ok.requestsPerSec.toFixed(0)} req/s` : r.na}`);
      }
    } finally {
      await s.kill();
    }
  }
  return { plan, runs };
}

function cell(c: Cell<WrkResult> | undefined, base: Cell<WrkResult> | undefined, bytes: number | undefined, naText: (s: string) => string): string {
  if (c === undefined) return "not run";
  if ("na" in c) return naText(c.na);
  let t = `${c.ok.requestsPerSec.toFixed(0)} req/s`;
  if (bytes !== undefined) t += ` (${((c.ok.requestsPerSec * bytes) / (1 << 20)).toFixed(1)} MiB/s)`;
  t += `, p50 ${c.ok.p50Ms.toFixed(2)} ms, p99 ${c.ok.p99Ms.toFixed(2)} ms`;
  if (c.ok.errors > 0) t += `, ${c.ok.errors} errors`;
  if (base && "ok" in base && base.ok.requestsPerSec > 0) t += ` ×${(c.ok.requestsPerSec / base.ok.requestsPerSec).toFixed(2)} of microVM`;
  return t;
}

/** The phase's rows for the results table (host column: not run, the phase is VMs only). */
export function nginxRows(r: NginxResults, targets: readonly TargetName[], row: (cells: string[]) => string, naText: (s: string) => string): string[] {
  return NGINX_FILES.map((f, i) => {
    const bytes = f.path === `/${NGINX_BIG.name}` ? NGINX_BIG.bytes : undefined;
    const label = `nginx (Debian's, apps/nginx): wrk ${r.plan.conns} connections ${r.plan.seconds} s, GET ${f.path} (${f.label}), QEMU user network`;
    return row([
      label,
      ...targets.map((t) => (t === "host" ? "—" : cell(r.runs[t]?.[i], t === "uninode" ? r.runs["linux-microvm"]?.[i] : undefined, bytes, naText))),
    ]);
  });
}
