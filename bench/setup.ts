// The bench's setup, idempotent: wrk (Debian package), the C helpers (the microVM's init, the
// syscall program, the instruction-counting QEMU plugin), Debian's cloud kernel, the uninode
// images of each workload (built by this repository's CLI) and the microVM initramfs made from
// each image's own root fs. Everything lands in .cache/bench/ and is rebuilt only when its
// input changed.

import { copyFile, cp, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { extractSection, readImage, type ImageInfo } from "../src/image/image.js";
import { renderBootFile } from "../src/image/manifest.js";
import { buildInitramfs, unpackImageRootfs, type Initramfs } from "./initramfs.js";
import { ensureLinuxKernel, type LinuxKernel } from "./linux-kernel.js";
import { MARIADB_PASSWORD, MARIADB_PORT } from "./mariadb.js";
import { bigFileBytes, NGINX_BIG, NGINX_PORT } from "./nginx.js";
import { benchCache, repoRoot } from "./paths.js";

export const WORKLOADS = ["node-e", "express", "syscalls", "probe-listen", "probe-1000", "probe-serve"] as const;
/** The storage phase's two boots of one volume: c/storage.c writing, then reading. */
export const STORAGE_WORKLOADS = ["storage-write", "storage-read"] as const;
export type StorageWorkloadName = (typeof STORAGE_WORKLOADS)[number];
/** The nginx phase's one image: apps/nginx's recipe (bench/nginx.ts). */
export const NGINX_WORKLOADS = ["nginx"] as const;
/** The MariaDB phase's one image: apps/mariadb's recipe (bench/mariadb.ts). */
export const MARIADB_WORKLOADS = ["mariadb"] as const;
export type WorkloadName = (typeof WORKLOADS)[number] | StorageWorkloadName | (typeof NGINX_WORKLOADS)[number] | (typeof MARIADB_WORKLOADS)[number];

/** Where a VM mounts the storage phase's volume. */
export const STORAGE_DIR = "/data";

/** The storage phase's counts (c/storage.c's arguments) and the volume it runs on. */
export interface StoragePlan {
  fsyncs: number;
  seqMiB: number;
  randSync: number;
  randBuffered: number;
  /** Each of c/storage.c's four tests stops after this long, whatever its count. */
  seconds: number;
  volumeMiB: number;
}

/** c/storage.c's arguments for one mode, in directory `dir`. */
export function storageArgs(mode: "write" | "read", dir: string, plan: StoragePlan, dropCache = false): string[] {
  if (mode === "read") return ["read", dir, ...(dropCache ? ["drop"] : [])];
  return ["write", dir, ...[plan.fsyncs, plan.seqMiB, plan.randSync, plan.randBuffered, plan.seconds].map(String)];
}

/** The port express-hello listens on in every target. */
export const APP_PORT = 3000;
export const PROBE_REQUESTS = 1000;
/** The path the serve probe answers with the guest's memory, ahead of the app. */
export const MEMINFO_PATH = "/__bench/meminfo";
export const SYSCALL_ARGS = ["10000000", "1000000"];

export interface HostCommand {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface Workload {
  name: WorkloadName;
  image: ImageInfo;
  /** kernel.elf, extracted from the image. */
  uninodeKernel: string;
  initramfs: Initramfs;
  /** How the host target runs it; none for a workload only the VMs run (nginx). */
  host?: HostCommand;
  /** The port the program listens on in the VM (default APP_PORT). */
  port?: number;
}

export interface Prepared {
  linux: LinuxKernel;
  plugin: string;
  wrk: string | undefined;
  /** Only the workloads prepare() was asked for are present (an --only run prepares its own). */
  workloads: Record<WorkloadName, Workload>;
  /** c/storage.c, compiled for the host. */
  storage: string;
}

/** What prepare() builds: the workloads of the phases other than storage, and storage's. */
export interface PrepareWhat {
  main: boolean;
  storage?: StoragePlan;
  /** The nginx phase's image. */
  nginx?: boolean;
  /** The MariaDB phase's image. */
  mariadb?: boolean;
}

export async function newer(out: string, inputs: readonly string[]): Promise<boolean> {
  const o = await stat(out).catch(() => undefined);
  if (!o) return false;
  for (const i of inputs) if ((await stat(i)).mtimeMs > o.mtimeMs) return false;
  return true;
}

/** wrk from Debian, installed once (apt-get install is itself idempotent). */
export async function ensureWrk(log: (s: string) => void): Promise<string | undefined> {
  const which = await execa("sh", ["-c", "command -v wrk"], { reject: false });
  if (which.exitCode === 0) return which.stdout.trim();
  log("installing wrk (Debian package)");
  let r = await execa("apt-get", ["install", "-y", "-qq", "wrk"], { reject: false, env: { DEBIAN_FRONTEND: "noninteractive" } });
  if (r.exitCode !== 0) {
    await execa("apt-get", ["update", "-qq"], { reject: false });
    r = await execa("apt-get", ["install", "-y", "-qq", "wrk"], { reject: false, env: { DEBIAN_FRONTEND: "noninteractive" } });
  }
  const again = await execa("sh", ["-c", "command -v wrk"], { reject: false });
  return again.exitCode === 0 ? again.stdout.trim() : undefined;
}

export async function compileHelpers(root: string, cache: string): Promise<{ init: string; syscalls: string; plugin: string; storage: string }> {
  const bin = path.join(cache, "bin");
  await mkdir(bin, { recursive: true });
  const src = (f: string) => path.join(root, "bench", "c", f);
  const jobs: [string, string, string[]][] = [
    [src("init.c"), path.join(bin, "init"), ["-O2", "-static"]],
    [src("syscalls.c"), path.join(bin, "syscalls"), ["-O2"]],
    [src("insn-count.c"), path.join(bin, "insn-count.so"), ["-O2", "-shared", "-fPIC"]],
    [src("storage.c"), path.join(bin, "storage"), ["-O2"]],
  ];
  for (const [input, output, flags] of jobs) {
    if (!(await newer(output, [input]))) await execa("gcc", [...flags, "-o", output, input]);
  }
  return { init: jobs[0]![1], syscalls: jobs[1]![1], plugin: jobs[2]![1], storage: jobs[3]![1] };
}

/** Runs the repository's CLI. A build may meet build/kernel.elf being relinked by a parallel
 * `npm run build`; it is tried again twice, a few seconds apart, before the bench gives up. */
async function cli(root: string, args: string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const r = await execa(process.execPath, [path.join(root, "dist", "cli.js"), ...args], { cwd: root, reject: attempt === 3 });
    if (r.exitCode === 0) return;
    await new Promise((res) => setTimeout(res, 5000));
  }
}

/** The bench's copy of apps/nginx: no access log (each line would cost both VMs a write to an
 * emulated serial port under load), and a 1 MiB file among the pages. Built by the recipe path
 * of `uninode build`, so the packages come from apt as for users. */
async function buildNginxImage(root: string, cache: string): Promise<string> {
  const dir = path.join(cache, "apps", "nginx-bench");
  await rm(dir, { recursive: true, force: true });
  await cp(path.join(root, "apps", "nginx"), dir, { recursive: true });
  const conf = path.join(dir, "nginx.conf");
  const text = await readFile(conf, "utf8");
  const quiet = text.replace(/^(\s*)access_log \/dev\/stdout;$/m, "$1access_log off;");
  if (quiet === text) throw new Error("apps/nginx/nginx.conf no longer says `access_log /dev/stdout;`: update bench/setup.ts");
  await writeFile(conf, quiet);
  await writeFile(path.join(dir, "html", NGINX_BIG.name), bigFileBytes());
  const out = path.join(cache, "images", "nginx.img");
  await mkdir(path.dirname(out), { recursive: true });
  await cli(root, ["build", dir, "-o", out, "--tag", "bench-nginx"]);
  return out;
}

/** The bench's copy of apps/mariadb: the recipe as it is, plus the root password the first boot
 * sets (the recipe's `env`, so the microVM's boot file carries it too). Built by the recipe path
 * of `uninode build`, so the packages come from apt as for users. */
async function buildMariadbImage(root: string, cache: string): Promise<string> {
  const dir = path.join(cache, "apps", "mariadb-bench");
  await rm(dir, { recursive: true, force: true });
  await cp(path.join(root, "apps", "mariadb"), dir, { recursive: true });
  const recipeFile = path.join(dir, "uninode.json");
  const recipe = JSON.parse(await readFile(recipeFile, "utf8")) as { env?: Record<string, string> };
  recipe.env = { ...recipe.env, MARIADB_ROOT_PASSWORD: MARIADB_PASSWORD };
  await writeFile(recipeFile, JSON.stringify(recipe, null, 2));
  const out = path.join(cache, "images", "mariadb.img");
  await mkdir(path.dirname(out), { recursive: true });
  await cli(root, ["build", dir, "-o", out, "--tag", "bench-mariadb"]);
  return out;
}

/** An express-hello copy the probe images are built from: the app, bench-probe.cjs, and the
 * environment that loads it in the config's `env` (build takes no -e for an app directory). */
async function probeApp(root: string, cache: string, probe: string): Promise<string> {
  const dir = path.join(cache, "apps", `express-probe-${probe}`);
  const stamp = path.join(dir, "bench-probe.cjs");
  const app = path.join(root, "apps", "express-hello");
  const sources = [path.join(root, "bench", "guest", "probe.cjs"), path.join(app, "server.js"), path.join(app, "package.json"), path.join(app, "package-lock.json")];
  if (!(await newer(stamp, sources))) {
    await rm(dir, { recursive: true, force: true });
    await cp(app, dir, { recursive: true, verbatimSymlinks: true });
    const pkgFile = path.join(dir, "package.json");
    const pkg = JSON.parse(await readFile(pkgFile, "utf8")) as { uninode?: { env?: Record<string, string> } };
    pkg.uninode = { ...pkg.uninode, env: { ...pkg.uninode?.env, ...PROBE_ENV, BENCH_PROBE: probe } };
    await writeFile(pkgFile, JSON.stringify(pkg, null, 2));
    await copyFile(sources[0]!, stamp);
  }
  return dir;
}

const PROBE_ENV = { NODE_OPTIONS: "--require=/app/bench-probe.cjs" };

/** The storage phase's images: the write boot's arguments carry the plan's counts. */
async function buildStorageImages(root: string, cache: string, storage: string, plan: StoragePlan): Promise<Record<StorageWorkloadName, string>> {
  const dir = path.join(cache, "images");
  await mkdir(dir, { recursive: true });
  const out = (n: StorageWorkloadName) => path.join(dir, `${n}.img`);
  await cli(root, ["build", "--exec", storage, "-o", out("storage-write"), "--tag", "bench-storage-write", "--", ...storageArgs("write", STORAGE_DIR, plan)]);
  await cli(root, ["build", "--exec", storage, "-o", out("storage-read"), "--tag", "bench-storage-read", "--", ...storageArgs("read", STORAGE_DIR, plan)]);
  return { "storage-write": out("storage-write"), "storage-read": out("storage-read") };
}

async function buildImages(root: string, cache: string, syscalls: string): Promise<Record<(typeof WORKLOADS)[number], string>> {
  const dir = path.join(cache, "images");
  await mkdir(dir, { recursive: true });
  const out = (n: WorkloadName) => path.join(dir, `${n}.img`);
  const app = path.join(root, "apps", "express-hello");
  // --tag keeps the bench's images from taking the app's own tag.
  await cli(root, ["build", app, "-o", out("express"), "--tag", "bench-express"]);
  await cli(root, ["build", "--exec", "node", "-o", out("node-e"), "--tag", "bench-node-e", "--", "-e", "console.log(1)"]);
  await cli(root, ["build", "--exec", syscalls, "-o", out("syscalls"), "--tag", "bench-syscalls", "--", ...SYSCALL_ARGS]);
  const listen = await probeApp(root, cache, "listen");
  const requests = await probeApp(root, cache, String(PROBE_REQUESTS));
  await cli(root, ["build", listen, "-o", out("probe-listen"), "--tag", "bench-probe-listen"]);
  await cli(root, ["build", requests, "-o", out("probe-1000"), "--tag", "bench-probe-1000"]);
  const serve = await probeApp(root, cache, "serve");
  await cli(root, ["build", serve, "-o", out("probe-serve"), "--tag", "bench-probe-serve"]);
  return {
    "node-e": out("node-e"),
    express: out("express"),
    syscalls: out("syscalls"),
    "probe-listen": out("probe-listen"),
    "probe-1000": out("probe-1000"),
    "probe-serve": out("probe-serve"),
  };
}

function hostCommand(name: WorkloadName, root: string, cache: string, syscalls: string, storage: string): HostCommand | undefined {
  const app = path.join(root, "apps", "express-hello");
  const probe = (v: string) => path.join(cache, "apps", `express-probe-${v}`);
  const env = { NODE_ENV: "production", PORT: String(APP_PORT) };
  switch (name) {
    case "node-e":
      return { file: "node", args: ["-e", "console.log(1)"], cwd: root, env: {} };
    case "express":
      return { file: "node", args: ["server.js"], cwd: app, env };
    case "syscalls":
      return { file: syscalls, args: SYSCALL_ARGS, cwd: root, env: {} };
    case "nginx":
    case "mariadb":
      return undefined;
    case "storage-write":
    case "storage-read":
      // The directory is the phase's own (a temp dir beside the volume files): it adds the arguments.
      return { file: storage, args: [], cwd: root, env: {} };
    case "probe-listen":
    case "probe-serve":
    case "probe-1000": {
      const mode = name === "probe-1000" ? String(PROBE_REQUESTS) : name.slice("probe-".length);
      return { file: "node", args: ["server.js"], cwd: probe(mode), env: { ...env, NODE_OPTIONS: `--require=${probe(mode)}/bench-probe.cjs`, BENCH_PROBE: mode } };
    }
  }
}

/** The initramfs for one image, rebuilt only when the image's root fs changed. */
async function initramfsFor(name: WorkloadName, image: ImageInfo, init: string, modules: readonly string[], linux: LinuxKernel, cache: string): Promise<Initramfs> {
  const dir = path.join(cache, "microvm");
  await mkdir(dir, { recursive: true });
  const out = path.join(dir, `${name}.cpio`);
  const stampFile = `${out}.json`;
  const key = `${image.header.sections.rootfs.sha256} ${linux.version} ${(await stat(init)).mtimeMs} ${modules.map((m) => path.basename(m)).join(",")}`;
  const stamp = JSON.parse(await readFile(stampFile, "utf8").catch(() => "{}")) as { key?: string; initramfs?: Initramfs };
  if (stamp.key === key && stamp.initramfs && (await stat(out).catch(() => undefined))) return stamp.initramfs;
  const rootDir = path.join(dir, `${name}.root`);
  await unpackImageRootfs(image.path, rootDir);
  const initramfs = await buildInitramfs({ rootDir, init, modules, out });
  await rm(rootDir, { recursive: true, force: true });
  await writeFile(stampFile, JSON.stringify({ key, initramfs }));
  return initramfs;
}

async function kernelOf(image: ImageInfo, cache: string): Promise<string> {
  const dir = path.join(cache, "uninode-kernels");
  await mkdir(dir, { recursive: true });
  const out = path.join(dir, `${image.header.sections.kernel.sha256.slice(0, 16)}.elf`);
  if (!(await stat(out).catch(() => undefined))) await extractSection(image, "kernel", out);
  return out;
}

export async function prepare(log: (s: string) => void, what: PrepareWhat = { main: true }): Promise<Prepared> {
  const root = repoRoot();
  const cache = benchCache(root);
  await mkdir(cache, { recursive: true });
  const wrk = what.main || what.nginx ? await ensureWrk(log) : undefined;
  const bins = await compileHelpers(root, cache);
  const linux = await ensureLinuxKernel(cache, log);
  log("building the uninode images (uninode build)");
  const images: Partial<Record<WorkloadName, string>> = {
    ...(what.main ? await buildImages(root, cache, bins.syscalls) : {}),
    ...(what.storage ? await buildStorageImages(root, cache, bins.storage, what.storage) : {}),
    ...(what.nginx ? { nginx: await buildNginxImage(root, cache) } : {}),
    ...(what.mariadb ? { mariadb: await buildMariadbImage(root, cache) } : {}),
  };
  const workloads = {} as Record<WorkloadName, Workload>;
  for (const [name, file] of Object.entries(images) as [WorkloadName, string][]) {
    const image = await readImage(file, { verify: false });
    log(`initramfs for ${name}`);
    // The storage and MariaDB images run on a volume: the microVM needs the disk and ext4 too.
    const onVolume = (STORAGE_WORKLOADS as readonly string[]).includes(name) || name === "mariadb";
    const modules = onVolume ? linux.storageModules : linux.modules;
    const host = hostCommand(name, root, cache, bins.syscalls, bins.storage);
    workloads[name] = {
      name,
      image,
      uninodeKernel: await kernelOf(image, cache),
      initramfs: await initramfsFor(name, image, bins.init, modules, linux, cache),
      ...(host ? { host } : {}),
      ...(name === "nginx" ? { port: NGINX_PORT } : name === "mariadb" ? { port: MARIADB_PORT } : {}),
    };
  }
  return { linux, plugin: bins.plugin, wrk, workloads, storage: bins.storage };
}

/** For tests and --dry-run: the boot file the microVM's init reads, as the image would have it. */
export function bootFileFor(exec: string, argv: string[]): string {
  return renderBootFile({ exec, argv, env: [], cwd: "/" });
}
