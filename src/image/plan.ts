// What goes into an image, decided before anything is written: every file, directory and symlink
// by its image path, where its bytes come from, and the boot configuration. Building the plan
// resolves the program (PATH lookup, ELF check, shared libraries) and the --add flags, and turns
// every user mistake into one sentence.

import { access, constants, lstat, readdir, readlink, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { UninodeError, UsageError, errnoCode } from "../errors.js";
import { readElf } from "./elf.js";
import { resolveLibraries } from "./libs.js";
import { systemFiles } from "./system-files.js";
import type { BootConfig, FileRole, ManifestMeta } from "./manifest.js";

export type PlanEntry =
  | { type: "file"; imagePath: string; hostPath: string; role: FileRole; mode: number }
  | { type: "data"; imagePath: string; content: Buffer; role: FileRole; mode: number }
  | { type: "dir"; imagePath: string; mode: number }
  | { type: "symlink"; imagePath: string; target: string };

export interface ImagePlan {
  /** By image path. Parent directories are implied and added by finishPlan. */
  entries: Map<string, PlanEntry>;
  boot: BootConfig;
  programKind: string;
  interpreter?: string;
  /** What a Node app image records beyond the program (app, runtime, ports, memory, cpus). */
  meta?: ManifestMeta;
  /** Image path → host real path of the files nothing may replace (program, loader, libraries). */
  owned?: Map<string, string>;
}

export interface ExecSpec {
  /** The program as the user named it: a path, or a bare name looked up on PATH. */
  program: string;
  args: string[];
  /** Extra NAME=VALUE from -e, applied over the defaults. */
  env: string[];
  /** --add values, HOSTPATH:IMAGEPATH. */
  adds: string[];
  /** PATH used to find a bare program name; default: this process's PATH. */
  searchPath?: string;
  /** Directory relative host paths are resolved against; default: process.cwd(). */
  baseDir?: string;
  /** Copy arguments that name existing host files into the image (see argumentFiles). Default true. */
  argFiles?: boolean;
  /** Where the program goes in the image; default /app/NAME. */
  programImagePath?: string;
  /** The environment -e applies over; default DEFAULT_ENV (plus NODE_ENV_DEFAULTS for node). */
  defaultEnv?: readonly string[];
  /** The working directory in the VM; default /app. */
  cwd?: string;
  /** NAME → ADDRESS added to /etc/hosts (the config's "hosts", --add-host). */
  hosts?: readonly (readonly [string, string])[];
  /** Libraries the program opens with dlopen (--lib, the config's "libs"), and how they were named. */
  libs?: readonly string[];
  libsLabel?: string;
}

export const APP_DIR = "/app";
export const DEFAULT_ENV: readonly string[] = ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root"];

/** What Node images add to DEFAULT_ENV (a -e of the same name wins). */
export const NODE_ENV_DEFAULTS: readonly string[] = ["NODE_ENV=production"];

/** True for a program that is Node by its name (`node`, `nodejs`, `node22`): it gets NODE_ENV_DEFAULTS. */
export function isNodeProgram(hostProgram: string): boolean {
  return /^node(js)?[\d.-]*$/.test(path.basename(hostProgram));
}

/** Resolves `--exec PROGRAM` and friends into a plan. */
export async function planExec(spec: ExecSpec): Promise<ImagePlan> {
  const baseDir = spec.baseDir ?? process.cwd();
  const hostProgram = await findProgram(spec.program, spec.searchPath ?? process.env["PATH"] ?? "", baseDir);
  const elf = await readElf(hostProgram);
  const name = path.basename(hostProgram);
  const programImagePath = spec.programImagePath ?? path.posix.join(APP_DIR, name);

  const defaults = spec.defaultEnv ?? (isNodeProgram(hostProgram) ? [...DEFAULT_ENV, ...NODE_ENV_DEFAULTS] : DEFAULT_ENV);
  const env = mergeEnv(defaults, spec.env.map(validateEnv));
  const plan: ImagePlan = {
    entries: new Map(),
    boot: { exec: programImagePath, argv: [name, ...spec.args], fixedArgs: 1, env, cwd: spec.cwd ?? APP_DIR },
    programKind: elf.kind,
  };
  if (elf.interpreter !== undefined) plan.interpreter = elf.interpreter;

  for (const e of await systemFiles({ env, ...(spec.hosts !== undefined ? { hosts: spec.hosts } : {}) })) plan.entries.set(e.imagePath, e);

  // Program and libraries are "owned": nothing may silently replace them.
  const owned = new Map<string, string>();
  plan.owned = owned;
  const own = async (imagePath: string, hostPath: string, role: FileRole, what: string) => {
    const real = await realFile(hostPath);
    const prev = owned.get(imagePath);
    if (prev !== undefined && prev !== real) {
      throw new UninodeError("IMAGE_PATH_CONFLICT", `${what} and ${prev} would both be placed at ${imagePath} in the image.`);
    }
    owned.set(imagePath, real);
    const st = await stat(real);
    plan.entries.set(imagePath, { type: "file", imagePath, hostPath: real, role, mode: st.mode & 0o7777 });
  };
  await own(programImagePath, hostProgram, "program", hostProgram);
  const libs = await resolveLibraries(elf, {
    programImagePath,
    ...(spec.libs !== undefined ? { dlopen: spec.libs } : {}),
    ...(spec.libsLabel !== undefined ? { dlopenLabel: spec.libsLabel } : {}),
  });
  if (libs.interpreter) await own(libs.interpreter.imagePath, libs.interpreter.realPath, "interpreter", libs.interpreter.hostPath);
  for (const lib of libs.libraries) await own(lib.imagePath, lib.realPath, "library", lib.hostPath);

  for (const add of spec.adds) await addHostPath(plan, add, baseDir, owned);
  if (spec.argFiles ?? true) {
    for (const f of await argumentFiles(spec.args, baseDir)) {
      if (plan.entries.has(f.imagePath)) continue; // the image's own file (or an --add) wins
      plan.entries.set(f.imagePath, { type: "file", imagePath: f.imagePath, hostPath: f.hostPath, role: "added", mode: f.mode });
    }
  }
  return plan;
}

/** Image paths where argument files are never copied: filesystems the kernel mounts, and ours. */
const RUNTIME_DIRS = ["/tmp", "/run", "/dev", "/proc", "/sys", "/.uninode"];

export interface ArgumentFile {
  arg: string;
  hostPath: string;
  imagePath: string;
  mode: number;
}

/**
 * The program's arguments that name an existing regular file on the host, and where each goes:
 * a relative one to /app/ARG (the VM's working directory is /app, so the same word finds it
 * there), an absolute one to the same path. Words starting with "-" are options, never files;
 * directories are left to --add; so are paths under /tmp, /run, /dev, /proc and /sys, which belong to
 * the running VM.
 */
export async function argumentFiles(args: readonly string[], baseDir: string): Promise<ArgumentFile[]> {
  const out: ArgumentFile[] = [];
  for (const arg of args) {
    if (arg === "" || arg.startsWith("-") || arg.includes("\0")) continue;
    const hostPath = path.resolve(baseDir, arg);
    let st;
    try {
      st = await stat(hostPath);
    } catch {
      continue;
    }
    if (!st.isFile()) continue;
    const imagePath = path.posix.isAbsolute(arg) ? path.posix.normalize(arg) : path.posix.join(APP_DIR, arg);
    if (imagePath === "/" || RUNTIME_DIRS.some((d) => imagePath === d || imagePath.startsWith(d + "/"))) continue;
    out.push({ arg, hostPath: await realFile(hostPath), imagePath, mode: st.mode & 0o7777 });
  }
  return out;
}

/** A bare name is looked up on PATH like a shell would; anything with a slash is a path. */
export async function findProgram(program: string, searchPath: string, baseDir: string): Promise<string> {
  if (program === "") throw new UsageError("--exec needs a program name or path.");
  if (program.includes("/")) {
    const abs = path.resolve(baseDir, program);
    try {
      const st = await stat(abs);
      if (st.isDirectory()) throw new UninodeError("PROGRAM_IS_DIRECTORY", `${program} is a directory, not a program.`);
    } catch (err) {
      if (err instanceof UninodeError) throw err;
      if (errnoCode(err) === "ENOENT") throw new UninodeError("PROGRAM_NOT_FOUND", `${program} does not exist.`);
      throw new UninodeError("PROGRAM_NOT_READABLE", `${program} cannot be read (${errnoCode(err) ?? "error"}).`);
    }
    return abs;
  }
  for (const dir of searchPath.split(":")) {
    if (dir === "") continue;
    const candidate = path.resolve(baseDir, dir, program);
    try {
      const st = await stat(candidate);
      if (!st.isFile()) continue;
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  throw new UninodeError(
    "PROGRAM_NOT_FOUND",
    `${program} was not found on PATH; give its path (for example ./${program}) or install it.`,
  );
}

/** A -e KEY=VALUE: a name the shell could set, and no NUL (`build --exec` and `run IMAGE`). */
export function validateEnv(kv: string): string {
  const eq = kv.indexOf("=");
  if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(kv.slice(0, eq))) throw new UsageError(`-e expects KEY=VALUE, got "${kv}".`);
  if (kv.includes("\0")) throw new UsageError(`-e ${kv.slice(0, eq)}=... contains a NUL byte, which no environment can hold.`);
  return kv;
}

/** Later assignments of the same NAME replace earlier ones, keeping the first position. */
export function mergeEnv(base: readonly string[], extra: readonly string[]): string[] {
  const order: string[] = [];
  const values = new Map<string, string>();
  for (const kv of [...base, ...extra]) {
    const key = kv.slice(0, kv.indexOf("="));
    if (!values.has(key)) order.push(key);
    values.set(key, kv);
  }
  return order.map((k) => values.get(k)!);
}

/** Parses HOSTPATH:IMAGEPATH; the image path is absolute, so the last colon separates them. */
export function parseAddSpec(spec: string): { host: string; image: string } {
  const colon = spec.lastIndexOf(":");
  const host = colon === -1 ? "" : spec.slice(0, colon);
  const image = colon === -1 ? "" : spec.slice(colon + 1);
  if (host === "" || !image.startsWith("/")) {
    throw new UsageError(`--add expects HOSTPATH:IMAGEPATH with an absolute IMAGEPATH, got "${spec}".`);
  }
  const norm = path.posix.normalize(image);
  if (norm === "/" || norm.startsWith("/.uninode")) {
    throw new UsageError(`--add cannot place files at ${norm}: that path belongs to uninode.`);
  }
  return { host, image: norm.replace(/\/+$/, "") };
}

export async function addHostPath(plan: ImagePlan, spec: string, baseDir: string, owned: Map<string, string>): Promise<void> {
  const { host, image } = parseAddSpec(spec);
  const abs = path.resolve(baseDir, host);
  let st;
  try {
    st = await stat(abs);
  } catch (err) {
    if (errnoCode(err) === "ENOENT") throw new UninodeError("ADD_NOT_FOUND", `--add ${spec}: ${host} does not exist.`);
    throw new UninodeError("ADD_NOT_READABLE", `--add ${spec}: ${host} cannot be read (${errnoCode(err) ?? "error"}).`);
  }
  const put = (e: PlanEntry) => {
    if (owned.has(e.imagePath)) {
      throw new UninodeError(
        "IMAGE_PATH_CONFLICT",
        `--add ${spec} would replace ${e.imagePath}, which the program needs; choose another image path.`,
      );
    }
    plan.entries.set(e.imagePath, e);
  };
  if (st.isFile()) {
    put({ type: "file", imagePath: image, hostPath: await realFile(abs), role: "added", mode: st.mode & 0o7777 });
    return;
  }
  if (!st.isDirectory()) throw new UninodeError("ADD_NOT_REGULAR", `--add ${spec}: ${host} is neither a file nor a directory.`);
  put({ type: "dir", imagePath: image, mode: st.mode & 0o7777 });
  await walk(abs, image, put, spec);
}

async function walk(hostDir: string, imageDir: string, put: (e: PlanEntry) => void, spec: string): Promise<void> {
  const names = (await readdir(hostDir)).sort();
  for (const name of names) {
    const h = path.join(hostDir, name);
    const i = path.posix.join(imageDir, name);
    const st = await lstat(h);
    if (st.isSymbolicLink()) put({ type: "symlink", imagePath: i, target: await readlink(h) });
    else if (st.isFile()) put({ type: "file", imagePath: i, hostPath: h, role: "added", mode: st.mode & 0o7777 });
    else if (st.isDirectory()) {
      put({ type: "dir", imagePath: i, mode: st.mode & 0o7777 });
      await walk(h, i, put, spec);
    } else {
      throw new UninodeError("ADD_NOT_REGULAR", `--add ${spec}: ${h} is a socket, FIFO or device, which an image cannot hold.`);
    }
  }
}

/** The file whose bytes are copied: the image keeps the name asked for, with the target's contents. */
async function realFile(p: string): Promise<string> {
  return realpath(p);
}

/** Adds the parent directories every entry implies, and returns all entries sorted by path. */
export function finishPlan(plan: ImagePlan): PlanEntry[] {
  for (const p of [...plan.entries.keys()]) {
    for (let dir = path.posix.dirname(p); dir !== "/"; dir = path.posix.dirname(dir)) {
      const existing = plan.entries.get(dir);
      if (existing === undefined) plan.entries.set(dir, { type: "dir", imagePath: dir, mode: 0o755 });
      else if (existing.type !== "dir") {
        throw new UninodeError("IMAGE_PATH_CONFLICT", `${dir} is needed as a directory in the image but is also a ${existing.type}.`);
      }
    }
  }
  return [...plan.entries.values()].sort((a, b) => (a.imagePath < b.imagePath ? -1 : a.imagePath > b.imagePath ? 1 : 0));
}
