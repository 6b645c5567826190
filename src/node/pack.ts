// A Node app as an image plan: the runtime at /usr/local/bin/node with its shared libraries, the
// app's own files under /app (less .git, node_modules and what .uninodeignore/.dockerignore leave
// out), its production dependencies under /app/node_modules, native addons with their libraries,
// the libraries the config's "libs" names for dlopen, the config's extra files, and the boot line `node [OPTIONS] /app/ENTRY [ARGS]`.

import { lstat, readdir, readlink, realpath } from "node:fs/promises";
import path from "node:path";
import { UninodeError } from "../errors.js";
import { resolveLibraries } from "../image/libs.js";
import { APP_DIR, DEFAULT_ENV, NODE_ENV_DEFAULTS, addHostPath, planExec, type ImagePlan, type PlanEntry } from "../image/plan.js";
import { checkAddon, isForeignPrebuild } from "./addons.js";
import type { App } from "./app.js";
import { productionDependencies, type DepSet } from "./deps.js";
import { isIgnored, loadIgnore, mayReinclude, type IgnoreRules } from "./ignore.js";
import type { NodeRuntime } from "./runtime.js";
import { parseMountSpec } from "../vm/mounts.js";

export const NODE_IMAGE_PATH = "/usr/local/bin/node";

export interface PackOptions {
  runtime: NodeRuntime;
  /** -e KEY=VALUE from the command line, over the config's env. */
  env: string[];
  /** Host paths never to pack (the -o image when it lies inside the app). */
  exclude?: string[];
  /** Told how many files are packed so far (the live progress line). */
  onFiles?: (count: number) => void;
}

export interface PackSummary {
  ignoreFile: string | undefined;
  appFiles: number;
  deps: DepSet;
  addons: string[];
  /** Prebuilt addons for other platforms that were left out. */
  skippedAddons: string[];
}

/** Directories of the app's own tree that are never packed as app files. */
const ALWAYS_SKIPPED = new Set([".git", ".hg", ".svn", "node_modules"]);

export async function planApp(app: App, o: PackOptions): Promise<{ plan: ImagePlan; summary: PackSummary }> {
  const entryImage = path.posix.join(APP_DIR, app.entry.file);
  const configEnv = Object.entries(app.config.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const plan = await planExec({
    program: o.runtime.path,
    args: [...app.entry.nodeArgs, entryImage, ...app.entry.args],
    env: [...configEnv, ...o.env],
    adds: [],
    baseDir: app.dir,
    argFiles: false,
    programImagePath: NODE_IMAGE_PATH,
    defaultEnv: [...DEFAULT_ENV, ...NODE_ENV_DEFAULTS],
    ...(app.config.hosts !== undefined ? { hosts: Object.entries(app.config.hosts) } : {}),
    ...(app.config.libs !== undefined ? { libs: app.config.libs, libsLabel: `${app.configSource ?? "the config"}.libs` } : {}),
  });
  plan.boot.argv[0] = "node";
  // `uninode run IMAGE -- ARGS` replaces the config's args; node, its options and the entry stay.
  plan.boot.fixedArgs = plan.boot.argv.length - app.entry.args.length;
  const owned = plan.owned ?? new Map<string, string>();
  const exclude = new Set(await Promise.all((o.exclude ?? []).map((p) => realpath(p).catch(() => path.resolve(p)))));

  const ignore = await loadIgnore(app.dir);
  if (isIgnored(ignore.rules, app.entry.file)) {
    throw new UninodeError("ENTRY_IGNORED", `The entry ${app.entry.file} is left out by ${ignore.source}; take it out of that file or choose another entry.`);
  }
  const addons: { rel: string; host: string }[] = [];
  const skippedAddons: string[] = [];
  const put = (e: PlanEntry) => {
    if (owned.has(e.imagePath)) {
      throw new UninodeError("IMAGE_PATH_CONFLICT", `The app's ${e.imagePath.slice(APP_DIR.length + 1)} would replace ${e.imagePath}, which Node needs; rename it.`);
    }
    plan.entries.set(e.imagePath, e);
    if (e.type === "file") o.onFiles?.(++packed);
  };
  let packed = 0;
  const onFile = (rel: string, host: string) => {
    if (!rel.endsWith(".node")) return true;
    if (isForeignPrebuild(rel)) {
      skippedAddons.push(rel);
      return false;
    }
    addons.push({ rel, host });
    return true;
  };

  // The app's own files.
  let appFiles = 0;
  await walkTree(app.dir, "", {
    skipDir: (rel, name) => ALWAYS_SKIPPED.has(name) || (isIgnored(ignore.rules, rel) && !mayReinclude(ignore.rules, rel)),
    skipFile: (rel, host) => isIgnored(ignore.rules, rel) || exclude.has(host),
    onEntry: (rel, e) => {
      if (e.type === "dir" && isIgnored(ignore.rules, rel)) return; // walked only for `!` rules
      if (e.type === "file") {
        if (!onFile(rel, e.hostPath)) return;
        appFiles++;
      }
      put(placed(rel, e, "app"));
    },
  });

  // Production dependencies, each package without its nested node_modules (listed on its own).
  const deps = await productionDependencies(app.dir, app.pkg, app.label);
  for (const p of deps.packages) {
    if (p.linkTarget !== undefined) {
      put({ type: "symlink", imagePath: path.posix.join(APP_DIR, p.rel), target: p.linkTarget });
      continue;
    }
    put({ type: "dir", imagePath: path.posix.join(APP_DIR, p.rel), mode: 0o755 });
    await walkTree(path.join(app.dir, p.rel), p.rel, {
      skipDir: (rel) => rel === `${p.rel}/node_modules`,
      skipFile: () => false,
      onEntry: (rel, e) => {
        if (e.type === "file" && !onFile(rel, e.hostPath)) return;
        put(placed(rel, e, "dependency"));
      },
    });
  }

  // Native addons: the right platform, and every shared library they load. A library Node itself
  // loaded already (the same file, maybe under another name: ld.so matches it by soname) is not
  // added twice.
  const loadedByNode = new Set(owned.values());
  for (const a of addons) {
    const elf = await checkAddon(a.host, a.rel);
    const libs = await resolveLibraries(elf, { programImagePath: path.posix.join(APP_DIR, a.rel) });
    for (const lib of libs.libraries) {
      if (loadedByNode.has(lib.realPath)) continue;
      const prev = owned.get(lib.imagePath);
      if (prev === lib.realPath) continue;
      if (prev !== undefined) {
        throw new UninodeError("IMAGE_PATH_CONFLICT", `The addon ${a.rel} needs ${lib.hostPath} at ${lib.imagePath}, where Node's own ${prev} already is.`);
      }
      if (plan.entries.has(lib.imagePath)) continue; // shipped inside the app or a package already
      owned.set(lib.imagePath, lib.realPath);
      plan.entries.set(lib.imagePath, { type: "file", imagePath: lib.imagePath, hostPath: lib.realPath, role: "library", mode: 0o755 });
    }
  }

  for (const f of app.config.files ?? []) await addHostPath(plan, f, app.dir, owned);

  plan.meta = {
    app: { name: app.name, version: app.version, entry: app.entry.file },
    node: { version: o.runtime.version, source: o.runtime.source },
    ...(app.config.ports !== undefined ? { ports: app.config.ports } : {}),
    ...(app.config.memory !== undefined ? { memory: app.config.memory } : {}),
    ...(app.config.cpus !== undefined ? { cpus: app.config.cpus } : {}),
    ...(app.config.network !== undefined ? { network: app.config.network } : {}),
    ...(app.config.volumes !== undefined ? { volumes: app.config.volumes.map((v) => absoluteMountSpec(v, app.dir)) } : {}),
    ...(app.config.readOnly !== undefined ? { readOnly: app.config.readOnly } : {}),
  };
  return { plan, summary: { ignoreFile: ignore.source, appFiles, deps, addons: addons.map((a) => a.rel), skippedAddons } };
}

/** A config "volumes" entry with its host directory made absolute (relative to the app directory),
 * so `run` by tag or image file finds the same directory the config meant. */
export function absoluteMountSpec(spec: string, appDir: string): string {
  const m = parseMountSpec(spec, appDir);
  if (m.kind === "volume") return spec;
  return `${path.resolve(appDir, m.source)}:${m.target}${m.readOnly ? ":ro" : ""}`;
}

type Found = { type: "file"; hostPath: string; mode: number } | { type: "dir"; mode: number } | { type: "symlink"; target: string };

function placed(rel: string, e: Found, role: "app" | "dependency"): PlanEntry {
  const imagePath = path.posix.join(APP_DIR, rel);
  switch (e.type) {
    case "file":
      return { type: "file", imagePath, hostPath: e.hostPath, role, mode: e.mode };
    case "dir":
      return { type: "dir", imagePath, mode: e.mode };
    case "symlink":
      return { type: "symlink", imagePath, target: e.target };
  }
}

interface WalkHooks {
  skipDir(rel: string, name: string): boolean;
  skipFile(rel: string, hostPath: string): boolean;
  onEntry(rel: string, e: Found): void;
}

/** Every file, directory and symlink under `hostDir`, in sorted order; sockets and FIFOs are skipped. */
async function walkTree(hostDir: string, relDir: string, hooks: WalkHooks): Promise<void> {
  const names = (await readdir(hostDir)).sort();
  for (const name of names) {
    const host = path.join(hostDir, name);
    const rel = relDir === "" ? name : `${relDir}/${name}`;
    const st = await lstat(host);
    if (st.isDirectory()) {
      if (hooks.skipDir(rel, name)) continue;
      hooks.onEntry(rel, { type: "dir", mode: (st.mode & 0o7777) | 0o500 });
      await walkTree(host, rel, hooks);
    } else if (st.isSymbolicLink()) {
      if (hooks.skipFile(rel, host)) continue;
      hooks.onEntry(rel, { type: "symlink", target: await readlink(host) });
    } else if (st.isFile()) {
      if (hooks.skipFile(rel, host)) continue;
      hooks.onEntry(rel, { type: "file", hostPath: host, mode: (st.mode & 0o7777) | 0o400 });
    }
  }
}

export type { IgnoreRules };
