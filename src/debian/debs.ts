// The Debian package cache: .deb files by name, version, arch and checksum under
// <cache>/debian/debs/, each checked against the SHA256 in apt's signed index before it is kept,
// and unpacked trees under <cache>/debian/trees/<sha256>/ (the files as dpkg-deb -x writes them,
// the control fields, and a listing of every path with its type and mode). Everything is made in
// a temp directory inside the cache and renamed into place whole, so a failed or interrupted
// build leaves nothing half-written under a real name.

import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { digestFile } from "../image/stage.js";
import { DebianError, parseControl, type DebRecord } from "./apt.js";

const APT_ENV = { LC_ALL: "C", LANG: "C", LANGUAGE: "" };

/** Bump when the listing's shape changes, so trees unpacked the old way are unpacked again. */
const TREE_FORMAT = 1;

export type TreeEntry =
  | { type: "dir"; path: string; mode: number }
  | { type: "file"; path: string; mode: number; size: number }
  | { type: "symlink"; path: string; target: string };

/** A package unpacked: where its files are, its control fields, and every path it ships. */
export interface UnpackedPackage {
  record: DebRecord;
  /** The directory dpkg-deb -x wrote; a package path P is the host file root + P. */
  root: string;
  control: Record<string, string>;
  entries: TreeEntry[];
}

export interface DebianCacheTools {
  aptGet: string;
  dpkgDeb: string;
}

/** <cache>/debian. */
export function debianCacheDir(cacheRoot: string): string {
  return path.join(cacheRoot, "debian");
}

/** Temp work older than this is from a build that was killed, not one still running. */
const STALE_MS = 24 * 3600 * 1000;

/** Removes tmp-* directories a killed build left in `dir` (a running build's are younger). */
export async function sweepStale(dir: string, now = Date.now()): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith("tmp-")) continue;
    const st = await stat(path.join(dir, name)).catch(() => undefined);
    if (st !== undefined && now - st.mtimeMs > STALE_MS) await rm(path.join(dir, name), { recursive: true, force: true });
  }
}

/** The cached .deb's file name: apt's NAME_VERSION_ARCH (epoch colon escaped) plus the checksum. */
export function debFileName(r: DebRecord): string {
  return `${r.name}_${r.version.replace(/:/g, "%3a")}_${r.arch}.${r.sha256.slice(0, 16)}.deb`;
}

/**
 * Every package of `records` as a verified .deb in the cache: those not there yet are fetched with
 * one `apt-get download` (apt checks them against its signed indexes too) and kept only when size
 * and SHA256 match the index. Returns the .deb paths in the order given.
 */
export async function fetchDebs(records: readonly DebRecord[], cacheRoot: string, tools: DebianCacheTools, onFetch?: (names: string[]) => void): Promise<string[]> {
  const dir = path.join(debianCacheDir(cacheRoot), "debs");
  await mkdir(dir, { recursive: true });
  for (const sub of ["", "trees", "programs"]) await sweepStale(path.join(debianCacheDir(cacheRoot), sub));
  const files = records.map((r) => path.join(dir, debFileName(r)));
  const missing: number[] = [];
  for (let i = 0; i < records.length; i++) {
    // Verified once when it was renamed in; a size mismatch means someone changed it since.
    const st = await stat(files[i]!).catch(() => undefined);
    if (st?.isFile() && st.size === records[i]!.size) continue;
    missing.push(i);
  }
  if (missing.length === 0) return files;
  onFetch?.(missing.map((i) => records[i]!.name));
  const tmp = await mkdtemp(path.join(debianCacheDir(cacheRoot), "tmp-download-"));
  try {
    const want = missing.map((i) => `${records[i]!.name}:${records[i]!.arch}=${records[i]!.version}`);
    const r = await execa(tools.aptGet, ["-q", "-o", "Debug::NoLocking=1", "download", ...want], {
      cwd: tmp,
      env: APT_ENV,
      reject: false,
      all: true,
      stdin: "ignore",
    });
    if (r.exitCode !== 0) {
      const e = (r.all ?? "").split("\n").find((l) => l.startsWith("E: "));
      throw new DebianError("DOWNLOAD_FAILED", `apt-get download could not fetch ${want.join(" ")}: ${e ? e.slice(3) : "exit status " + r.exitCode}.`);
    }
    const got = await readdir(tmp);
    for (const i of missing) {
      const rec = records[i]!;
      const name = got.find((n) => n.startsWith(`${rec.name}_`) && n.endsWith(`_${rec.arch}.deb`) && versionOf(n, rec) === rec.version);
      if (name === undefined) throw new DebianError("DOWNLOAD_FAILED", `apt-get download did not produce ${rec.name} ${rec.version} (${rec.arch}).`);
      const file = path.join(tmp, name);
      const d = await digestFile(file);
      if (d.size !== rec.size || d.sha256 !== rec.sha256) {
        throw new DebianError(
          "DEB_CHECKSUM",
          `The downloaded ${rec.name} ${rec.version} does not match apt's index (sha256 ${d.sha256}, expected ${rec.sha256}); run \`sudo apt-get update\` and build again.`,
        );
      }
      await rename(file, files[i]!);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return files;
}

/** The version in apt's NAME_VERSION_ARCH.deb file name. */
function versionOf(file: string, r: DebRecord): string {
  return decodeURIComponent(file.slice(r.name.length + 1, file.length - `_${r.arch}.deb`.length));
}

/** The package unpacked under trees/<sha256>/, unpacking it first if this is the first build to need it. */
export async function unpackDeb(record: DebRecord, debFile: string, cacheRoot: string, tools: DebianCacheTools): Promise<UnpackedPackage> {
  const trees = path.join(debianCacheDir(cacheRoot), "trees");
  const dir = path.join(trees, record.sha256);
  const existing = await readTree(record, dir);
  if (existing) return existing;
  await mkdir(trees, { recursive: true });
  const tmp = await mkdtemp(path.join(trees, `tmp-${record.sha256.slice(0, 12)}-`));
  try {
    const root = path.join(tmp, "root");
    await mkdir(root);
    const x = await execa(tools.dpkgDeb, ["-x", debFile, root], { env: APT_ENV, reject: false, all: true, stdin: "ignore" });
    if (x.exitCode !== 0) throw new DebianError("UNPACK_FAILED", `dpkg-deb could not unpack ${path.basename(debFile)}: ${lastLine(x.all ?? "")}.`);
    const f = await execa(tools.dpkgDeb, ["-f", debFile], { env: APT_ENV, reject: false, all: true, stdin: "ignore" });
    if (f.exitCode !== 0) throw new DebianError("UNPACK_FAILED", `dpkg-deb could not read the control fields of ${path.basename(debFile)}: ${lastLine(f.all ?? "")}.`);
    const entries = await listTree(root);
    await writeFile(path.join(tmp, "control"), f.stdout + "\n");
    await writeFile(path.join(tmp, "tree.json"), JSON.stringify({ format: TREE_FORMAT, entries }) + "\n");
    try {
      await rename(tmp, dir);
    } catch (err) {
      // Another build unpacked the same package meanwhile (rename onto a non-empty directory).
      if (!(await readTree(record, dir))) throw err;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const tree = await readTree(record, dir);
  if (!tree) throw new DebianError("UNPACK_FAILED", `The unpacked ${record.name} in the cache cannot be read back; remove ${dir} and build again.`);
  return tree;
}

/** A tree unpacked by an earlier build, or undefined when it is missing or of another format. */
async function readTree(record: DebRecord, dir: string): Promise<UnpackedPackage | undefined> {
  try {
    const listing = JSON.parse(await readFile(path.join(dir, "tree.json"), "utf8")) as { format: number; entries: TreeEntry[] };
    if (listing.format !== TREE_FORMAT) {
      await rm(dir, { recursive: true, force: true });
      return undefined;
    }
    const control = parseControl(await readFile(path.join(dir, "control"), "utf8"))[0] ?? {};
    return { record, root: path.join(dir, "root"), control, entries: listing.entries };
  } catch {
    return undefined;
  }
}

/** Every path under `root` as an absolute package path, sorted, with its type and mode. */
export async function listTree(root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const walk = async (host: string, rel: string) => {
    for (const name of (await readdir(host)).sort()) {
      const h = path.join(host, name);
      const p = `${rel}/${name}`;
      const st = await lstat(h);
      if (st.isSymbolicLink()) out.push({ type: "symlink", path: p, target: await readlink(h) });
      else if (st.isDirectory()) {
        out.push({ type: "dir", path: p, mode: st.mode & 0o7777 });
        await walk(h, p);
      } else if (st.isFile()) out.push({ type: "file", path: p, mode: st.mode & 0o7777, size: st.size });
      else throw new DebianError("UNPACK_FAILED", `The package file ${p} is a device, FIFO or socket, which an image cannot hold.`);
    }
  };
  await walk(root, "");
  return out;
}

function lastLine(text: string): string {
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "").at(-1) ?? "no output";
}

