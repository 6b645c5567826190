// An app directory as uninode reads it: package.json, the config (package.json "uninode" or
// uninode.json), and the entry point, chosen by these rules in order:
//   1. the config's "entry";
//   2. scripts.start when it is `node [NODE-OPTIONS] FILE [ARGS]` (no shell syntax);
//   3. package.json "main";
//   4. server.js, then index.js.

import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { UninodeError } from "../errors.js";
import { ConfigError, validateConfig, type AppConfig } from "./config.js";

export interface AppPackageJson {
  name?: unknown;
  version?: unknown;
  main?: unknown;
  scripts?: Record<string, unknown>;
  engines?: { node?: unknown };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  uninode?: unknown;
}

export interface EntryChoice {
  /** Relative to the app directory, normalized, "/" separators. */
  file: string;
  /** Node options that come before the file (from scripts.start). */
  nodeArgs: string[];
  /** Arguments after the file (from scripts.start or the config's args). */
  args: string[];
  /** Why this file, in words: 'scripts.start "node server.js"'. */
  reason: string;
}

export interface App {
  dir: string;
  /** The directory as the user typed it, for messages. */
  label: string;
  pkg: AppPackageJson;
  name: string;
  version: string;
  config: AppConfig;
  /** Where the config came from, or undefined. */
  configSource: string | undefined;
  entry: EntryChoice;
}

export class AppError extends UninodeError {}

/** Reads and checks the app at `dir`; every problem is one sentence naming the fix. */
export async function loadApp(dir: string, label: string): Promise<App> {
  const st = await stat(dir).catch(() => undefined);
  if (st === undefined) throw new AppError("APP_NOT_FOUND", `${label} does not exist.`);
  if (!st.isDirectory()) throw new AppError("APP_NOT_DIRECTORY", `${label} is not a directory; give the app's directory (the one with package.json).`);
  let text: string;
  try {
    text = await readFile(path.join(dir, "package.json"), "utf8");
  } catch {
    const where = label === "." || label === "./" ? "The current directory" : label;
    throw new AppError(
      "NO_PACKAGE_JSON",
      `${where} has no package.json, so it is not a Node app; give the app's directory (uninode build APP_DIR), or use --exec PROGRAM for other programs.`,
    );
  }
  let pkg: AppPackageJson;
  try {
    pkg = JSON.parse(text) as AppPackageJson;
  } catch (err) {
    throw new AppError("BAD_PACKAGE_JSON", `${path.join(label, "package.json")} is not valid JSON (${(err as Error).message}); fix it.`);
  }
  if (typeof pkg !== "object" || pkg === null || Array.isArray(pkg)) {
    throw new AppError("BAD_PACKAGE_JSON", `${path.join(label, "package.json")} must hold a JSON object.`);
  }

  const { config, source } = await readConfig(dir, pkg);
  const entry = await chooseEntry(dir, label, pkg, config);
  const name = typeof pkg.name === "string" && pkg.name !== "" ? pkg.name : path.basename(path.resolve(dir));
  const version = typeof pkg.version === "string" ? pkg.version : "0.0.0";
  return { dir, label, pkg, name, version, config, configSource: source, entry };
}

async function readConfig(dir: string, pkg: AppPackageJson): Promise<{ config: AppConfig; source: string | undefined }> {
  let fileText: string | undefined;
  try {
    fileText = await readFile(path.join(dir, "uninode.json"), "utf8");
  } catch {
    fileText = undefined;
  }
  if (fileText !== undefined && pkg.uninode !== undefined) {
    throw new ConfigError('The app has both uninode.json and a "uninode" field in package.json; keep one of them.');
  }
  if (fileText !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(fileText);
    } catch (err) {
      throw new ConfigError(`uninode.json is not valid JSON (${(err as Error).message}); fix it.`);
    }
    return { config: validateConfig(raw, "uninode.json"), source: "uninode.json" };
  }
  if (pkg.uninode !== undefined) return { config: validateConfig(pkg.uninode, 'package.json "uninode"'), source: 'package.json "uninode"' };
  return { config: {}, source: undefined };
}

/** Node options that take the next word as their value (`-r x`, `--import x`). */
const NODE_OPTIONS_WITH_VALUE = new Set([
  "-r", "--require", "--import", "--loader", "--experimental-loader", "-C", "--conditions",
  "--env-file", "--title", "--inspect-port", "--max-old-space-size", "--stack-size",
]);

/** `node [OPTIONS] FILE [ARGS]` as a start script, or undefined when it is anything else. */
export function parseStartScript(script: string): { nodeArgs: string[]; file: string; args: string[] } | undefined {
  // Shell syntax means the script does more than start node: leave it to the other rules.
  if (/[|&;<>()$`\\"'*?{}~]/.test(script)) return undefined;
  const words = script.trim().split(/\s+/);
  if (words[0] !== "node") return undefined;
  const nodeArgs: string[] = [];
  let i = 1;
  while (i < words.length && words[i]!.startsWith("-")) {
    const w = words[i]!;
    nodeArgs.push(w);
    if (NODE_OPTIONS_WITH_VALUE.has(w)) {
      if (i + 1 >= words.length) return undefined;
      nodeArgs.push(words[++i]!);
    }
    i++;
  }
  // `node -e ...`, `node --version`: no file to run.
  if (i >= words.length || nodeArgs.some((a) => ["-e", "--eval", "-p", "--print", "-v", "--version", "-h", "--help"].includes(a))) return undefined;
  return { nodeArgs, file: words[i]!, args: words.slice(i + 1) };
}

async function chooseEntry(dir: string, label: string, pkg: AppPackageJson, config: AppConfig): Promise<EntryChoice> {
  const args = config.args ?? [];
  if (config.entry !== undefined) {
    const file = await resolveFile(dir, config.entry);
    if (file === undefined) {
      throw new ConfigError(`The config's entry "${config.entry}" does not exist in ${label}; fix "entry" or create the file.`);
    }
    return { file, nodeArgs: [], args, reason: `the config's "entry"` };
  }
  const start = pkg.scripts?.["start"];
  if (typeof start === "string") {
    const parsed = parseStartScript(start);
    if (parsed) {
      // `node .` runs the package itself: its main, else index.js.
      const self = path.posix.normalize(parsed.file) === ".";
      const file = self ? await resolveFile(dir, typeof pkg.main === "string" && pkg.main !== "" ? pkg.main : "index.js") : await resolveFile(dir, parsed.file);
      if (file === undefined) {
        throw new AppError(
          "NO_ENTRY",
          `scripts.start runs ${parsed.file}, which does not exist in ${label}; create it, or set "uninode": {"entry": "FILE"} in package.json.`,
        );
      }
      return { file, nodeArgs: parsed.nodeArgs, args: [...parsed.args, ...args], reason: `scripts.start "${start}"` };
    }
  }
  if (typeof pkg.main === "string" && pkg.main !== "") {
    const file = await resolveFile(dir, pkg.main);
    if (file === undefined) {
      throw new AppError("NO_ENTRY", `package.json "main" names ${pkg.main}, which does not exist in ${label}; fix "main" or set "uninode": {"entry": "FILE"}.`);
    }
    return { file, nodeArgs: [], args, reason: `package.json "main"` };
  }
  for (const candidate of ["server.js", "index.js"]) {
    if (await isFile(path.join(dir, candidate))) return { file: candidate, nodeArgs: [], args, reason: `the default ${candidate}` };
  }
  const why = typeof start === "string" ? ` (scripts.start "${start}" is not a plain \`node FILE\`)` : "";
  throw new AppError(
    "NO_ENTRY",
    `${label} has no entry point${why}: no "main", no server.js or index.js; set "uninode": {"entry": "FILE"} in package.json.`,
  );
}

/** `name` as require() would take a main: the file, or with .js/.mjs/.cjs/.json added, or its index.js. */
async function resolveFile(dir: string, name: string): Promise<string | undefined> {
  const rel = path.posix.normalize(name.replace(/\\/g, "/")).replace(/^\.\//, "");
  if (rel.startsWith("../") || rel === ".." || path.posix.isAbsolute(rel)) return undefined;
  for (const c of [rel, `${rel}.js`, `${rel}.mjs`, `${rel}.cjs`, `${rel}/index.js`]) {
    if (c !== "." && (await isFile(path.join(dir, c)))) return path.posix.normalize(c);
  }
  return undefined;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}
