// The host's apt, asked as an ordinary user: which packages an install of PKG... would bring onto an
// empty system (apt-get -s with an empty dpkg status), and each package's archive record (its
// SHA256 from apt's signed indexes). Nothing here needs root or changes the host.

import { execa } from "execa";
import { UninodeError } from "../errors.js";
import { whichTool } from "../tools.js";

export class DebianError extends UninodeError {}

/** One binary package as apt names it in its archive. */
export interface DebPackage {
  name: string;
  version: string;
  arch: string;
}

/** What apt-cache show says of one package version: where its .deb is and what it must hash to. */
export interface DebRecord extends DebPackage {
  sha256: string;
  size: number;
  filename: string;
}

/** A package name apt accepts (Debian policy 5.6.1), optionally with :ARCH. */
export const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+(?::[a-z0-9-]+)?$/;

/** LC_ALL=C so apt's messages are the English ones parsed below. */
const APT_ENV = { LC_ALL: "C", LANG: "C", LANGUAGE: "" };

/** apt-get's path, or one sentence saying this host cannot build from Debian packages. */
export async function requireApt(searchPath?: string): Promise<{ aptGet: string; aptCache: string; dpkgDeb: string }> {
  const aptGet = await whichTool("apt-get", searchPath);
  const aptCache = await whichTool("apt-cache", searchPath);
  const dpkgDeb = await whichTool("dpkg-deb", searchPath);
  if (aptGet === undefined || aptCache === undefined || dpkgDeb === undefined) {
    throw new DebianError(
      "NO_APT",
      "Building from Debian packages needs apt (Debian or Ubuntu): apt-get, apt-cache and dpkg-deb were not all found on this host; build on a Debian or Ubuntu machine.",
    );
  }
  return { aptGet, aptCache, dpkgDeb };
}

/**
 * The packages `apt-get install WANTED...` would install onto an empty system, in apt's order:
 * Depends and Pre-Depends followed, virtual packages and alternatives resolved by apt, Recommends
 * left out. Essential packages come only when something depends on them.
 */
export async function resolveClosure(wanted: readonly string[], aptGet: string): Promise<DebPackage[]> {
  for (const w of wanted) {
    if (!PACKAGE_NAME.test(w)) throw new DebianError("BAD_PACKAGE_NAME", `"${w}" is not a Debian package name (lowercase letters, digits, + - and .).`);
  }
  const r = await execa(
    aptGet,
    [
      "-s", "-q",
      "-o", "Dir::State::status=/dev/null",
      "-o", "Debug::NoLocking=1",
      "-o", "APT::Install-Recommends=0",
      "-o", "APT::Install-Suggests=0",
      "install", ...wanted,
    ],
    { env: APT_ENV, reject: false, all: true, stdin: "ignore" },
  );
  if (r.exitCode !== 0) throw await aptFailure(r.all ?? "", wanted, aptGet);
  const out = parseSimulation(r.stdout);
  const foreign = out.find((p) => p.arch !== "amd64" && p.arch !== "all");
  if (foreign !== undefined) {
    throw new DebianError(
      "FOREIGN_ARCH",
      `This host's apt gives ${foreign.arch} packages (${foreign.name}), but images run x86-64 programs; build on an amd64 Debian or Ubuntu host.`,
    );
  }
  if (out.length === 0) throw new DebianError("APT_NOTHING", `apt-get resolved ${wanted.join(", ")} to no packages at all; check the names with \`apt-cache policy\`.`);
  return out;
}

/** The `Inst NAME [OLD] (VERSION ORIGINS [ARCH])` lines of apt-get -s, in order. */
export function parseSimulation(text: string): DebPackage[] {
  const out: DebPackage[] = [];
  for (const line of text.split("\n")) {
    const m = /^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) .*\[([a-z0-9-]+)\]\)/.exec(line);
    if (!m) continue;
    // A multiarch name comes as NAME:ARCH; the arch is said again in brackets.
    out.push({ name: m[1]!.replace(/:[a-z0-9-]+$/, ""), version: m[2]!, arch: m[3]! });
  }
  return out;
}

/** One sentence for apt's refusal: an unknown package, one with no candidate, or empty lists. */
async function aptFailure(output: string, wanted: readonly string[], aptGet: string): Promise<DebianError> {
  const unknown = [...output.matchAll(/^E: Unable to locate package (\S+)/gm)].map((m) => m[1]!);
  const noCandidate = [...output.matchAll(/^E: Package '([^']+)' has no installation candidate/gm)].map((m) => m[1]!);
  if (unknown.length > 0 || noCandidate.length > 0) {
    if (!(await hasPackageLists(aptGet))) {
      return new DebianError("APT_NO_LISTS", "apt's package lists are empty on this host; run `sudo apt-get update` once, then build again.");
    }
    const name = unknown[0] ?? noCandidate[0]!;
    if (unknown.length > 0) {
      return new DebianError("UNKNOWN_PACKAGE", `apt knows no package named ${name}; check the name with \`apt-cache search ${name}\` (or run \`sudo apt-get update\`).`);
    }
    return new DebianError(
      "NO_CANDIDATE",
      `${name} is a virtual package or has no version to install; name one of the packages that provide it (\`apt-cache showpkg ${name}\`).`,
    );
  }
  const broken = /^ (\S+) : Depends: (.*)$/m.exec(output);
  if (broken) {
    return new DebianError("UNRESOLVABLE", `apt cannot resolve the dependencies of ${broken[1]} (it Depends: ${broken[2]!.trim()}); choose other packages.`);
  }
  const e = output.split("\n").find((l) => l.startsWith("E: "));
  return new DebianError("APT_FAILED", `apt-get could not resolve ${wanted.join(", ")}: ${e ? e.slice(3) : lastLine(output)}.`);
}

/** True when at least one of apt's binary package indexes is present. */
async function hasPackageLists(aptGet: string): Promise<boolean> {
  const r = await execa(aptGet, ["indextargets", "--format", "$(FILENAME)", "Created-By: Packages"], { env: APT_ENV, reject: false, stdin: "ignore" });
  if (r.exitCode !== 0) return true; // an older apt: do not claim the lists are missing
  const { access } = await import("node:fs/promises");
  for (const f of r.stdout.split("\n").filter((l) => l !== "")) {
    for (const suffix of ["", ".lz4", ".gz", ".xz", ".zst", ".bz2"]) {
      if (await access(f + suffix).then(() => true, () => false)) return true;
    }
  }
  return false;
}

/** apt-cache show NAME:ARCH=VERSION for each package, in one call: the SHA256 each .deb must have. */
export async function packageRecords(pkgs: readonly DebPackage[], aptCache: string): Promise<DebRecord[]> {
  if (pkgs.length === 0) return [];
  const r = await execa(aptCache, ["show", "--no-all-versions", ...pkgs.map((p) => `${p.name}:${p.arch}=${p.version}`)], {
    env: APT_ENV,
    reject: false,
    all: true,
    stdin: "ignore",
  });
  if (r.exitCode !== 0) throw new DebianError("APT_FAILED", `apt-cache show failed: ${lastLine(r.all ?? "")}.`);
  const stanzas = parseControl(r.stdout);
  return pkgs.map((p) => {
    const s = stanzas.find((c) => c["Package"] === p.name && c["Version"] === p.version && c["Architecture"] === p.arch);
    const sha256 = s?.["SHA256"];
    const size = Number(s?.["Size"]);
    if (!s || sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256) || !Number.isSafeInteger(size) || s["Filename"] === undefined) {
      throw new DebianError("APT_NO_RECORD", `apt's index has no SHA256 for ${p.name} ${p.version} (${p.arch}); run \`sudo apt-get update\` and build again.`);
    }
    return { ...p, sha256, size, filename: s["Filename"] };
  });
}

/** Debian control stanzas (deb822): fields by name, continuation lines joined with newlines. */
export function parseControl(text: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  let cur: Record<string, string> | undefined;
  let last: string | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      cur = undefined;
      continue;
    }
    if (/^\s/.test(line)) {
      if (cur && last !== undefined) cur[last] += "\n" + line.trim();
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    if (!cur) {
      cur = {};
      out.push(cur);
    }
    last = line.slice(0, colon);
    cur[last] = line.slice(colon + 1).trim();
  }
  return out;
}

function lastLine(text: string): string {
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "").at(-1) ?? "no output";
}
