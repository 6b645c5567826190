// Which installed packages an app needs at run time: its production dependencies as npm
// installed them, devDependencies left out. From the lockfile's `packages` map when there is one
// (package-lock.json or npm-shrinkwrap.json, lockfileVersion 2 or 3: every installed path with its
// `dev` flag), else by walking dependencies, optionalDependencies and peerDependencies through
// node_modules the way require() resolves them. That walk also reads pnpm's layout: each
// node_modules/NAME is a symlink into node_modules/.pnpm, where the package sits beside symlinks
// to its own dependencies; the links are kept as links and the packages they reach are packed.

import { lstat, readFile, readlink, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { UninodeError } from "../errors.js";

export interface DepPackage {
  /** Path relative to the app directory, "/" separators: "node_modules/express". */
  rel: string;
  name: string;
  /** A workspace link (node_modules/a → ../packages/a): placed as a symlink. */
  linkTarget?: string;
}

export interface DepSet {
  packages: DepPackage[];
  /** Where the answer came from, for the build's summary. */
  via: "package-lock.json" | "npm-shrinkwrap.json" | "node_modules" | "none";
  /** Packages the lockfile lists as dev-only, left out. */
  devCount: number;
}

export class DependencyError extends UninodeError {}

interface PackageJson {
  name?: unknown;
  version?: unknown;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  link?: boolean;
  resolved?: string;
  name?: string;
}

/** The production packages of the app at `appDir` whose package.json is `pkg`. */
export async function productionDependencies(appDir: string, pkg: PackageJson, appLabel: string): Promise<DepSet> {
  for (const lockName of ["npm-shrinkwrap.json", "package-lock.json"] as const) {
    let text: string;
    try {
      text = await readFile(path.join(appDir, lockName), "utf8");
    } catch {
      continue;
    }
    let lock: { lockfileVersion?: number; packages?: Record<string, LockEntry> };
    try {
      lock = JSON.parse(text) as typeof lock;
    } catch {
      throw new DependencyError("BAD_LOCKFILE", `${appLabel}/${lockName} is not valid JSON; restore it, or delete it and run npm install.`);
    }
    if (lock.packages !== undefined && typeof lock.packages === "object") {
      return fromLockfile(appDir, lock.packages, lockName, appLabel);
    }
    // lockfileVersion 1 has no `packages`: walk node_modules instead.
    break;
  }
  return fromNodeModules(appDir, pkg, appLabel);
}

async function fromLockfile(appDir: string, entries: Record<string, LockEntry>, lockName: DepSet["via"], appLabel: string): Promise<DepSet> {
  const packages: DepPackage[] = [];
  let devCount = 0;
  const missing: string[] = [];
  for (const [rel, e] of Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    // The root, workspace sources, and anything outside the app (a hoisting root above it).
    if (rel === "" || !/(^|\/)node_modules\//.test(rel) || rel.startsWith("../") || path.isAbsolute(rel)) continue;
    if (e.dev === true) {
      devCount++;
      continue;
    }
    const name = e.name ?? rel.slice(rel.lastIndexOf("node_modules/") + "node_modules/".length);
    const abs = path.join(appDir, rel);
    const st = await lstat(abs).catch(() => undefined);
    if (e.link === true) {
      if (st === undefined) {
        missing.push(name);
        continue;
      }
      const target = st.isSymbolicLink() ? await readlink(abs) : path.relative(path.dirname(abs), path.join(appDir, e.resolved ?? rel));
      packages.push({ rel, name, linkTarget: target });
      continue;
    }
    if (st === undefined || !st.isDirectory()) {
      // Optional packages for other platforms (esbuild's, for one) are not installed: fine.
      if (e.optional === true || e.devOptional === true) continue;
      missing.push(name);
      continue;
    }
    if (e.version !== undefined) {
      const installed = await readVersion(abs);
      if (installed !== undefined && installed !== e.version) {
        throw new DependencyError(
          "DEPS_OUT_OF_DATE",
          `${appLabel}/node_modules is out of date with ${lockName} (${name} ${installed} is installed, ${e.version} is locked); run npm ci in ${appLabel}.`,
        );
      }
    }
    packages.push({ rel, name });
  }
  if (missing.length > 0) throw notInstalled(appLabel, missing);
  return { packages, via: lockName, devCount };
}

function notInstalled(appLabel: string, names: string[]): DependencyError {
  const list = names.length > 3 ? `${names.slice(0, 3).join(", ")} and ${names.length - 3} more` : names.join(", ");
  return new DependencyError(
    "DEPS_NOT_INSTALLED",
    `The app's dependencies are not installed (${list} missing from ${appLabel}/node_modules); run npm ci (or npm install) in ${appLabel} first.`,
  );
}

/** A package's package.json; {} when it has none (nothing to follow). */
async function readPackageJson(dir: string): Promise<PackageJson> {
  try {
    return JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as PackageJson;
  } catch {
    return {};
  }
}

async function readVersion(dir: string): Promise<string | undefined> {
  try {
    const p = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as PackageJson;
    return typeof p.version === "string" ? p.version : undefined;
  } catch {
    return undefined;
  }
}

/** Without a usable lockfile: follow the dependency graph through node_modules as require() would. */
async function fromNodeModules(appDir: string, pkg: PackageJson, appLabel: string): Promise<DepSet> {
  const found = new Map<string, DepPackage>();
  const missing: string[] = [];
  const queue: { dir: string; pkg: PackageJson }[] = [{ dir: "", pkg }];
  const realApp = await realpath(appDir).catch(() => appDir);
  const follow = async (rel: string, name: string) => {
    found.set(rel, { rel, name });
    queue.push({ dir: rel, pkg: await readPackageJson(path.join(appDir, rel)) });
  };
  while (queue.length > 0) {
    const { dir, pkg: p } = queue.shift()!;
    const wants: [string, boolean][] = [
      ...Object.keys(p.dependencies ?? {}).map((n) => [n, false] as [string, boolean]),
      ...Object.keys(p.optionalDependencies ?? {}).map((n) => [n, true] as [string, boolean]),
      // npm 7+ installs peers; a missing one is the package's problem only if it is used.
      ...Object.keys(p.peerDependencies ?? {}).map((n) => [n, true] as [string, boolean]),
    ];
    for (const [name, optional] of wants) {
      const rel = await resolvePackage(appDir, dir, name);
      if (rel === undefined) {
        if (!optional) missing.push(name);
        continue;
      }
      if (found.has(rel)) continue;
      const abs = path.join(appDir, rel);
      const st = await lstat(abs);
      if (st.isSymbolicLink()) {
        const real = path.relative(realApp, await realpath(abs)).split(path.sep).join("/");
        const target = await readlink(abs);
        // An absolute target names a host path; the image needs one relative to the link.
        const linkTarget = path.isAbsolute(target) ? path.posix.relative(path.posix.dirname(rel), real) : target;
        found.set(rel, { rel, name, linkTarget });
        // A link into node_modules (pnpm's store): the package there is packed and its
        // dependencies resolved from where it really is, as require() does. Links elsewhere
        // (workspace packages) reach the app's own files, packed already.
        if (real.startsWith("node_modules/") && !found.has(real)) await follow(real, name);
        continue;
      }
      await follow(rel, name);
    }
  }
  if (missing.length > 0) throw notInstalled(appLabel, [...new Set(missing)]);
  const packages = [...found.values()].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return { packages, via: packages.length > 0 ? "node_modules" : "none", devCount: 0 };
}

/** Where require() from package directory `fromRel` finds `name`: the nearest node_modules up to the app. */
async function resolvePackage(appDir: string, fromRel: string, name: string): Promise<string | undefined> {
  let dir = fromRel;
  for (;;) {
    if (path.posix.basename(dir) !== "node_modules") {
      const rel = dir === "" ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
      const st = await stat(path.join(appDir, rel)).catch(() => undefined);
      if (st?.isDirectory()) return rel;
    }
    if (dir === "") return undefined;
    const parent = path.posix.dirname(dir);
    dir = parent === "." ? "" : parent;
  }
}
