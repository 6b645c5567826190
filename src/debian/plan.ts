// An image plan from Debian packages: the closure apt resolves, fetched and unpacked into the
// cache, every file, directory and symlink of every package at its own path (less the
// documentation), the system files every image gets, /etc/passwd and /etc/group from base-passwd
// plus the recipe's users, then the recipe's own files and programs. The program's libraries are
// found among these files, never the host's.
//
// /etc is the packages' except the few files every image makes (IMAGE_OWNED). Two packages
// shipping the same path: the same bytes, mode or link target is fine (dpkg allows
// it for directories and identical shared files); anything else stops the build naming both,
// unless the later package declares Replaces on the earlier one, when it wins, as dpkg lets it.

import path from "node:path";
import { UninodeError } from "../errors.js";
import { ElfError, readElf } from "../image/elf.js";
import { LibraryNotFoundError, resolveLibraries } from "../image/libs.js";
import type { FileRole, ManifestMeta, PackageInfo } from "../image/manifest.js";
import { addHostPath, mergeEnv, validateEnv, type ImagePlan, type PlanEntry } from "../image/plan.js";
import { CA_BUNDLE_PATH, systemFiles } from "../image/system-files.js";
import { digestFile } from "../image/stage.js";
import { planLibraryFs, resolveInPlan } from "../image/tree-fs.js";
import { DebianError, packageRecords, requireApt, resolveClosure, type DebRecord } from "./apt.js";
import { fetchDebs, unpackDeb, type UnpackedPackage } from "./debs.js";
import { addSystemUsers, parseGroup, parsePasswd, renderGroup, renderPasswd, type UserSpec } from "./users.js";

/** Docker's Debian images' PATH: programs live in the sbin directories too. */
export const DEBIAN_ENV: readonly string[] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"];

/** The package whose master files give /etc/passwd and /etc/group. */
export const BASE_PASSWD = "base-passwd";

export interface DebianSpec {
  /** Package names as apt takes them. */
  packages: string[];
  /** Absolute image path of the program to run. */
  exec: string;
  args: string[];
  /** NAME=VALUE over DEBIAN_ENV: the recipe's env, then -e. */
  env: string[];
  /** HOSTPATH:IMAGEPATH: the recipe's files, then --add. */
  adds: string[];
  /** What relative HOSTPATHs are relative to. */
  baseDir: string;
  users?: UserSpec[];
  /** Where `users` came from, for messages. */
  usersLabel?: string;
  /** Files made at build time (compiled recipe programs), by image path. */
  generated?: { imagePath: string; hostPath: string; mode: number }[];
  hosts?: readonly (readonly [string, string])[];
  cwd?: string;
  cacheRoot: string;
  searchPath?: string;
  /** What the image records for `run` beyond the packages (a recipe's ports, memory...). */
  meta?: ManifestMeta;
  /** Says what is happening ("fetching 4 packages"). */
  progress?: (what: string) => void;
}

export interface DebianPlan {
  plan: ImagePlan;
  packages: DebRecord[];
}

/**
 * /etc files the image makes itself whatever a package ships there: the resolver link into /run
 * (where the kernel writes DHCP's DNS servers), hosts (with the recipe's names), nsswitch.conf,
 * localtime and the CA bundle as every image has them, passwd and group from base-passwd.
 */
export const IMAGE_OWNED: ReadonlySet<string> = new Set([
  "/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/localtime", CA_BUNDLE_PATH, "/etc/passwd", "/etc/group",
]);

/** Paths left out of every package: documentation (but each package's copyright stays). */
export function isDropped(p: string): boolean {
  if (/^\/usr\/share\/(man|info|lintian)(\/|$)/.test(p)) return true;
  const doc = /^\/usr\/share\/doc\/([^/]+)(\/.*)?$/.exec(p);
  if (doc) return doc[2] !== undefined && doc[2] !== "/copyright";
  return false;
}

/** Resolves, fetches and unpacks the packages, and lays out the image. */
export async function planDebian(spec: DebianSpec): Promise<DebianPlan> {
  if (!spec.exec.startsWith("/")) throw new UninodeError("BAD_EXEC", `The program to run must be an absolute path in the image such as /usr/sbin/nginx, got "${spec.exec}".`);
  const env = mergeEnv(DEBIAN_ENV, spec.env.map(validateEnv));
  const tools = await requireApt(spec.searchPath);
  spec.progress?.(`resolving ${spec.packages.join(", ")} with apt`);
  const closure = await resolveClosure(spec.packages, tools.aptGet);
  // base-passwd alone (its master files are data; its dependencies do not go into the image).
  const passwdPkg = closure.find((p) => p.name === BASE_PASSWD) ?? (await resolveClosure([BASE_PASSWD], tools.aptGet)).find((p) => p.name === BASE_PASSWD);
  if (passwdPkg === undefined) throw new DebianError("NO_BASE_PASSWD", "apt offers no base-passwd package, whose users and groups every image needs.");
  const wanted = closure.some((p) => p.name === BASE_PASSWD) ? closure : [...closure, passwdPkg];
  const records = await packageRecords(wanted, tools.aptCache);
  const debs = await fetchDebs(records, spec.cacheRoot, tools, (names) => spec.progress?.(`downloading ${names.length} package${names.length === 1 ? "" : "s"}`));
  const unpacked: UnpackedPackage[] = [];
  for (let i = 0; i < records.length; i++) unpacked.push(await unpackDeb(records[i]!, debs[i]!, spec.cacheRoot, tools));
  const inImage = unpacked.filter((u) => closure.some((p) => p.name === u.record.name));
  const basePasswd = unpacked.find((u) => u.record.name === BASE_PASSWD)!;

  const plan: ImagePlan = {
    entries: new Map(),
    boot: { exec: spec.exec, argv: [path.posix.basename(spec.exec), ...spec.args], fixedArgs: 1, env, cwd: spec.cwd ?? "/" },
    programKind: "static",
  };
  for (const e of await systemFiles({ env, ...(spec.hosts !== undefined ? { hosts: spec.hosts } : {}) })) plan.entries.set(e.imagePath, e);
  await layPackages(plan.entries, inImage);

  mergedUsrLinks(plan.entries);
  await packageSystemFiles(plan.entries, inImage, env);

  // base-passwd's postinst would write these from its master files; nothing runs here, so we do.
  const { readFile } = await import("node:fs/promises");
  const master = async (name: string) => readFile(path.join(basePasswd.root, "usr/share/base-passwd", name), "utf8");
  const users = addSystemUsers(
    { passwd: parsePasswd(await master("passwd.master")), group: parseGroup(await master("group.master")) },
    spec.users ?? [],
    spec.usersLabel ?? "users",
  );
  setData(plan.entries, "/etc/passwd", renderPasswd(users.passwd));
  setData(plan.entries, "/etc/group", renderGroup(users.group));

  for (const g of spec.generated ?? []) {
    plan.entries.set(g.imagePath, { type: "file", imagePath: g.imagePath, hostPath: g.hostPath, role: "added", mode: g.mode });
  }
  for (const add of spec.adds) await addHostPath(plan, add, spec.baseDir, new Map());

  await placeProgram(plan, spec.exec, inImage);
  plan.meta = { ...spec.meta, packages: records.map(packageInfo) };
  return { plan, packages: records };
}

/**
 * On a merged-/usr release (Debian 13, recent Ubuntu) packages ship only /usr/lib64/ld-linux...,
 * and /lib64, /lib, /bin and /sbin are links that base-files or usrmerge make, neither of which
 * a closure needs to hold. Where no package has the top-level path but /usr has it, the link is
 * added, as on such a system. A closure with anything in /lib is not merged-/usr (Debian 12's
 * libc6 ships /lib/x86_64-linux-gnu and /lib64), and is left exactly as its packages lay it out.
 */
export function mergedUsrLinks(entries: Map<string, PlanEntry>): void {
  // A closure with anything in /lib (Debian 12's libc6 has its libraries there) is not merged.
  if (entries.has("/lib") || [...entries.keys()].some((k) => k.startsWith("/lib/"))) return;
  for (const d of ["bin", "sbin", "lib", "lib64"]) {
    if (entries.has(`/${d}`) || !entries.has(`/usr/${d}`)) continue;
    const prefix = `/${d}/`;
    if ([...entries.keys()].some((k) => k.startsWith(prefix))) continue;
    entries.set(`/${d}`, { type: "symlink", imagePath: `/${d}`, target: `usr/${d}` });
  }
}

/**
 * What maintainer scripts would have made from the packages, when the closure has them: the CA
 * bundle from ca-certificates' certificates (update-ca-certificates concatenates them all, as
 * its default configuration trusts every one), and tzdata's Etc/UTC as /etc/localtime, as a
 * fresh Debian container has it. Without these packages the host's files stay (system-files.ts).
 */
async function packageSystemFiles(entries: Map<string, PlanEntry>, packages: readonly UnpackedPackage[], env: readonly string[]): Promise<void> {
  const { readFile } = await import("node:fs/promises");
  const ca = packages.find((u) => u.record.name === "ca-certificates");
  if (ca !== undefined) {
    const certs = ca.entries.filter((e) => e.type === "file" && e.path.startsWith("/usr/share/ca-certificates/") && e.path.endsWith(".crt")).map((e) => e.path).sort();
    const parts: string[] = [];
    for (const c of certs) {
      const text = await readFile(path.join(ca.root, c), "utf8");
      parts.push(text.endsWith("\n") ? text : text + "\n");
    }
    setData(entries, CA_BUNDLE_PATH, parts.join(""));
  }
  if (packages.some((u) => u.record.name === "tzdata") && !env.some((kv) => kv.startsWith("TZ="))) {
    entries.set("/etc/localtime", { type: "symlink", imagePath: "/etc/localtime", target: "/usr/share/zoneinfo/Etc/UTC" });
    setData(entries, "/etc/timezone", "Etc/UTC\n");
  }
}

function packageInfo(r: DebRecord): PackageInfo {
  return { name: r.name, version: r.version, arch: r.arch, sha256: r.sha256 };
}

function setData(entries: Map<string, PlanEntry>, imagePath: string, text: string): void {
  entries.set(imagePath, { type: "data", imagePath, content: Buffer.from(text), role: "generated", mode: 0o644 });
}

/** Every package's files into `entries`, in the closure's order, by the rule at the top of this file. */
export async function layPackages(entries: Map<string, PlanEntry>, packages: readonly UnpackedPackage[]): Promise<void> {
  const owner = new Map<string, UnpackedPackage>();
  for (const pkg of packages) {
    for (const t of pkg.entries) {
      if (isDropped(t.path) || IMAGE_OWNED.has(t.path)) continue;
      const next: PlanEntry =
        t.type === "dir"
          ? { type: "dir", imagePath: t.path, mode: t.mode }
          : t.type === "symlink"
            ? { type: "symlink", imagePath: t.path, target: t.target }
            : { type: "file", imagePath: t.path, hostPath: path.join(pkg.root, t.path), role: "package", mode: t.mode };
      const prev = entries.get(t.path);
      const prevOwner = owner.get(t.path);
      if (prev !== undefined && prevOwner !== undefined) {
        if (prev.type === "dir" && next.type === "dir") continue;
        if (await sameEntry(prev, next)) continue;
        if (!replaces(pkg, prevOwner.record.name)) {
          throw new DebianError(
            "PACKAGE_FILE_CONFLICT",
            `${pkg.record.name} and ${prevOwner.record.name} both ship ${t.path}, differently, and neither Replaces the other; leave one of them out.`,
          );
        }
      }
      // A package's own file (its /etc) wins over the defaults every image gets.
      entries.set(t.path, next);
      owner.set(t.path, pkg);
    }
  }
}

async function sameEntry(a: PlanEntry, b: PlanEntry): Promise<boolean> {
  if (a.type === "symlink" && b.type === "symlink") return a.target === b.target;
  if (a.type === "file" && b.type === "file") {
    if (a.mode !== b.mode) return false;
    const [da, db] = await Promise.all([digestFile(a.hostPath), digestFile(b.hostPath)]);
    return da.size === db.size && da.sha256 === db.sha256;
  }
  return false;
}

/** True when `pkg`'s Replaces field names `other` (any version: the closure is one consistent set). */
function replaces(pkg: UnpackedPackage, other: string): boolean {
  const field = pkg.control["Replaces"] ?? "";
  return field.split(",").some((alt) => alt.trim().split(/[\s(:]/)[0] === other);
}

/** Marks the program, its loader and its libraries, all of which must be among the image's files. */
async function placeProgram(plan: ImagePlan, exec: string, packages: readonly UnpackedPackage[]): Promise<void> {
  const real = resolveInPlan(plan.entries, exec);
  const entry = real === undefined ? undefined : plan.entries.get(real);
  if (entry === undefined || entry.type !== "file") {
    throw new DebianError("PROGRAM_NOT_IN_PACKAGES", `No package in the closure has ${exec}; ${programsOf(packages)}.`);
  }
  let elf;
  try {
    elf = { ...(await readElf(entry.hostPath)), path: exec };
  } catch (err) {
    if (err instanceof ElfError) throw new DebianError("PROGRAM_NOT_ELF", `${exec} is not an x86-64 ELF program (a script needs its interpreter, and an image has no shell); name the program itself.`);
    throw err;
  }
  plan.programKind = elf.kind;
  if (elf.interpreter !== undefined) plan.interpreter = elf.interpreter;
  let libs;
  try {
    libs = await resolveLibraries(elf, { programImagePath: exec, fs: planLibraryFs(plan.entries) });
  } catch (err) {
    if (err instanceof LibraryNotFoundError && err.library !== undefined) {
      const by = err.neededBy !== undefined && err.neededBy !== exec ? ` (through ${err.neededBy})` : "";
      const what = err.code === "INTERPRETER_NOT_FOUND" ? "the dynamic loader" : "the library";
      throw new DebianError(
        "LIBRARY_NOT_IN_PACKAGES",
        `${exec} needs ${what} ${err.library}${by}, which no package in the closure has; add the package that ships it (\`apt-file search ${path.posix.basename(err.library)}\`).`,
      );
    }
    throw err;
  }
  const mark = (p: string, role: FileRole) => {
    const e = plan.entries.get(p);
    if (e?.type === "file" || e?.type === "data") plan.entries.set(p, { ...e, role });
  };
  mark(real!, "program");
  if (libs.interpreter) mark(libs.interpreter.realPath, "interpreter");
  for (const l of libs.libraries) mark(l.realPath, "library");
}

/** "the packages with programs are: hello (/usr/bin/hello), ..." for a program not found. */
function programsOf(packages: readonly UnpackedPackage[]): string {
  const lines: string[] = [];
  for (const p of packages) {
    const progs = p.entries.filter((e) => e.type !== "dir" && /^(\/usr)?\/s?bin\/[^/]+$/.test(e.path)).map((e) => e.path);
    if (progs.length > 0) lines.push(`${p.record.name} (${progs.slice(0, 4).join(", ")}${progs.length > 4 ? `, ${progs.length - 4} more` : ""})`);
  }
  return lines.length === 0 ? "no package in it has a program in /bin, /sbin, /usr/bin or /usr/sbin" : `the packages with programs are: ${lines.join("; ")}`;
}
