// Where the bench keeps things: the repository root (found from this file, compiled or not)
// and the ignored cache under it, .cache/bench/.

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "uninode") return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error("the bench is not inside the uninode repository");
    dir = up;
  }
}

export function benchCache(root = repoRoot()): string {
  return path.join(root, ".cache", "bench");
}
