// A recipe's programs: small C helpers (a database's first-run entrypoint: there is no shell in
// an image) compiled at build time with the host's cc as static executables against glibc's
// libc.a, cached by the source's sha256, the compiler's version and the flags, so an unchanged
// recipe does not compile again and gives the same bytes.

import { mkdir, mkdtemp, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { UninodeError } from "../errors.js";
import { sha256 } from "../image/stage.js";
import { whichTool } from "../tools.js";
import { debianCacheDir } from "./debs.js";

export const CC_FLAGS = ["-static", "-O2", "-Wall"];

export class ProgramError extends UninodeError {}

export interface CompiledProgram {
  imagePath: string;
  hostPath: string;
  mode: number;
}

/**
 * Compiles `source` (a host path) for `imagePath`; `label` is how messages name the source
 * ("apps/mariadb/entrypoint.c"). A compiler error is the compiler's own message.
 */
export async function compileProgram(imagePath: string, source: string, label: string, cacheRoot: string, searchPath?: string): Promise<CompiledProgram> {
  const cc = await whichTool("cc", searchPath);
  if (cc === undefined) {
    throw new ProgramError("NO_CC", `The recipe's program ${imagePath} is C source (${label}), and this host has no C compiler; install one (apt-get install gcc libc6-dev).`);
  }
  let text: Buffer;
  try {
    text = await readFile(source);
  } catch {
    throw new ProgramError("PROGRAM_SOURCE_MISSING", `The recipe's program ${imagePath} names ${label}, which does not exist; fix "programs" or add the file.`);
  }
  const version = await execa(cc, ["--version"], { reject: false, stdin: "ignore" });
  const key = sha256(JSON.stringify({ source: sha256(text), cc: version.stdout.split("\n")[0] ?? "", flags: CC_FLAGS }));
  const dir = path.join(debianCacheDir(cacheRoot), "programs");
  const out = path.join(dir, key);
  if (await stat(out).then((s) => s.isFile(), () => false)) return { imagePath, hostPath: out, mode: 0o755 };
  await mkdir(dir, { recursive: true });
  const tmp = await mkdtemp(path.join(dir, "tmp-"));
  try {
    const exe = path.join(tmp, "a.out");
    // Compiled from its own directory by its bare name, so no host path ends up in the binary.
    const r = await execa(cc, [...CC_FLAGS, "-o", exe, path.basename(source)], {
      cwd: path.dirname(source),
      env: { LC_ALL: "C" },
      reject: false,
      all: true,
      stdin: "ignore",
    });
    if (r.exitCode !== 0) {
      const msg = (r.all ?? "").trim();
      const hint = /cannot find -lc\b/.test(msg) ? " (static linking needs glibc's libc.a: apt-get install libc6-dev)" : "";
      throw new ProgramError("PROGRAM_COMPILE_FAILED", `${label} (the recipe's program ${imagePath}) does not compile${hint}:\n${msg}`);
    }
    await rename(exe, out);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { imagePath, hostPath: out, mode: 0o755 };
}
