// The manifest: what an image runs and what it holds. Two renderings of the same facts, as
// CONTRACT.md says: /.uninode/boot (the few lines the kernel reads) and /.uninode/manifest.json
// (everything, for `uninode inspect` and the image header's manifest section).

import type { NetworkConfig } from "../node/config.js";

export const MANIFEST_FORMAT = 1;

export type FileRole = "program" | "interpreter" | "library" | "added" | "generated" | "app" | "dependency" | "package";

/** A Debian package an image was built from (`uninode build --debian`, a recipe). */
export interface PackageInfo {
  name: string;
  version: string;
  arch: string;
  /** The .deb's SHA256, as apt's index gives it. */
  sha256: string;
}

/** What a Node app image records beyond the program; absent for --exec images. */
export interface ManifestMeta {
  app?: { name: string; version: string; entry: string };
  node?: { version: string; source: "host" | "npm" };
  /** Ports `uninode run` publishes when given no -p, HOST:GUEST. */
  ports?: { host: number; guest: number }[];
  /** Default guest memory ("512M") and CPUs for `uninode run`. */
  memory?: string;
  cpus?: number;
  /** The VM's IPv4 configuration (the config's "network"): `run` passes it as the kernel's ip=. */
  network?: NetworkConfig;
  /** The config's "volumes", SOURCE:/PATH[:ro], host directories made absolute at build time. */
  volumes?: string[];
  /** The config's "readOnly": no writable layer over the root (`run --read-only`). */
  readOnly?: boolean;
  /** The Debian packages the image's files come from, in apt's install order. */
  packages?: PackageInfo[];
}

export interface ManifestFile {
  path: string;
  role: FileRole;
  size: number;
  sha256: string;
}

export interface BootConfig {
  /** Absolute image path of the program the kernel loads. */
  exec: string;
  /** argv, argv[0] first. */
  argv: string[];
  /** How many leading argv entries `uninode run IMAGE -- ARGS` keeps (the rest are replaced):
   * node, its options and the entry for an app, argv[0] for a program. Absent in images built
   * before arguments could be replaced. */
  fixedArgs?: number;
  /** NAME=VALUE strings, in order. */
  env: string[];
  cwd: string;
}

export interface Manifest extends BootConfig, ManifestMeta {
  format: number;
  /** What kind of ELF the program is (static, static-pie, dynamic). */
  programKind: string;
  interpreter?: string;
  /** Every regular file in the root fs, sorted by path (not the generated /.uninode files). */
  files: ManifestFile[];
}

/** C-style escaping of a boot-file value: backslash, newline and tab, nothing else. */
export function escapeBootValue(value: string): string {
  return value.replace(/[\\\n\t]/g, (c) => (c === "\\" ? "\\\\" : c === "\n" ? "\\n" : "\\t"));
}

/** The inverse of escapeBootValue; unknown escapes keep the character after the backslash. */
export function unescapeBootValue(value: string): string {
  return value.replace(/\\(.)/gs, (_m, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c));
}

/** /.uninode/boot: `exec`, then `arg` lines in argv order, `fixedargs`, `env` lines, `cwd`. */
export function renderBootFile(boot: BootConfig): string {
  const lines = [`exec ${escapeBootValue(boot.exec)}`];
  for (const a of boot.argv) lines.push(`arg ${escapeBootValue(a)}`);
  if (boot.fixedArgs !== undefined) lines.push(`fixedargs ${boot.fixedArgs}`);
  for (const e of boot.env) lines.push(`env ${escapeBootValue(e)}`);
  lines.push(`cwd ${escapeBootValue(boot.cwd)}`);
  return lines.join("\n") + "\n";
}

/** Parses a boot file back (tests and `inspect`). */
export function parseBootFile(text: string): BootConfig {
  const boot: BootConfig = { exec: "", argv: [], env: [], cwd: "/" };
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const sp = line.indexOf(" ");
    const key = sp === -1 ? line : line.slice(0, sp);
    const value = sp === -1 ? "" : unescapeBootValue(line.slice(sp + 1));
    if (key === "exec") boot.exec = value;
    else if (key === "arg") boot.argv.push(value);
    else if (key === "env") boot.env.push(value);
    else if (key === "cwd") boot.cwd = value;
    else if (key === "fixedargs") boot.fixedArgs = Number(value);
  }
  return boot;
}

/** Stable JSON: fixed key order comes from how Manifest objects are built; two-space indent. */
export function renderManifest(m: Manifest): string {
  return JSON.stringify(m, null, 2) + "\n";
}
