// Where uninode's own files are: the package root (for build/kernel.elf and package.json) and
// the user's cache directory.

import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The package root: this file is src/paths.ts (tests) or dist/paths.js (built), one level down. */
export function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
}

/** $XDG_CACHE_HOME/uninode, or ~/.cache/uninode. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env["XDG_CACHE_HOME"];
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, "uninode");
  return path.join(env["HOME"] ?? os.homedir(), ".cache", "uninode");
}

let cachedVersion: string | undefined;

/** The version in package.json. */
export function uninodeVersion(): string {
  if (cachedVersion === undefined) {
    const pkg = JSON.parse(readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version?: string };
    cachedVersion = pkg.version ?? "0.0.0";
  }
  return cachedVersion;
}
