// Test fixtures made on the spot: C programs compiled with the host's gcc in a temp dir (so no
// binaries are committed), and hand-made ELF headers for the error paths.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { main } from "../../src/cli.js";
import type { CommandContext } from "../../src/commands/command.js";

export const HELLO_C = `#include <stdio.h>
int main(int argc, char **argv) { printf("hello from %s with %d args\\n", argv[0], argc); return 0; }
`;

export function tempDir(prefix = "uninode-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Compiles `source` with gcc and the given flags into dir/name; returns its path. */
export function compileC(dir: string, name: string, source: string, flags: string[] = []): string {
  const src = path.join(dir, `${name}.c`);
  const out = path.join(dir, name);
  writeFileSync(src, source);
  execFileSync("gcc", ["-O1", "-o", out, src, ...flags], { stdio: "pipe" });
  return out;
}

/** A minimal ELF header of the given class and machine, for the reader's rejection paths. */
export function fakeElfHeader(elfClass: 1 | 2, machine: number): Buffer {
  const b = Buffer.alloc(elfClass === 2 ? 64 : 52);
  b.write("\x7fELF", 0, "latin1");
  b[4] = elfClass;
  b[5] = 1; // little-endian
  b[6] = 1; // EV_CURRENT
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(machine, 18);
  return b;
}

/** ldd's answer as a map from the name asked for to the path found; the vDSO is left out. */
export function lddMap(file: string): Map<string, string> {
  const out = execFileSync("ldd", [file], { encoding: "utf8" });
  const map = new Map<string, string>();
  for (const line of out.split("\n")) {
    const arrow = /^\s*(\S+) => (\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (arrow) {
      map.set(arrow[1]!, arrow[2]!);
      continue;
    }
    const bare = /^\s*(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (bare) map.set(bare[1]!, bare[1]!);
  }
  return map;
}

/** `main(argv)` with captured stdout/stderr, not a terminal, in CWD with ENV (PATH added). */
export async function runCli(
  argv: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (b: Buffer) => out.push(b));
  stderr.on("data", (b: Buffer) => err.push(b));
  const ctx: CommandContext = { stdin: new PassThrough(), stdout, stderr, env: { PATH: process.env["PATH"], ...env }, cwd, interactive: false };
  const status = await main(argv, ctx);
  return { status, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}
