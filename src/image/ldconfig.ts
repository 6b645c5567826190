// The system library directories the dynamic loader falls back to, in the loader's order: the
// directories named in /etc/ld.so.conf (and the files it includes), then glibc's built-in ones.
// ldd consults /etc/ld.so.cache, which ldconfig builds from exactly these directories; reading
// the configuration instead of the binary cache gives the same answer without parsing its format.

import { readFile, readdir } from "node:fs/promises";
import path from "node:path";

/** glibc's trusted directories on Debian's x86-64 multiarch layout, searched after ld.so.conf. */
export const DEFAULT_LIBRARY_DIRS: readonly string[] = [
  "/lib/x86_64-linux-gnu",
  "/usr/lib/x86_64-linux-gnu",
  "/lib64",
  "/usr/lib",
  "/lib",
];

/** The directories listed in an ld.so.conf file, following `include` lines; missing files give none. */
export async function readLdSoConf(confPath = "/etc/ld.so.conf"): Promise<string[]> {
  const dirs: string[] = [];
  await readConf(confPath, dirs, new Set());
  return dirs;
}

/** Search order for the system part of library lookup: ld.so.conf dirs, then the defaults, each once. */
export async function systemLibraryDirs(confPath = "/etc/ld.so.conf"): Promise<string[]> {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const d of [...(await readLdSoConf(confPath)), ...DEFAULT_LIBRARY_DIRS]) {
    const norm = path.normalize(d);
    if (!seen.has(norm)) {
      seen.add(norm);
      out.push(norm);
    }
  }
  return out;
}

async function readConf(file: string, dirs: string[], visiting: Set<string>): Promise<void> {
  if (visiting.has(file)) return; // an include loop: ldconfig would loop too, we just stop
  visiting.add(file);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return;
  }
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") continue;
    const include = /^include\s+(.+)$/.exec(line);
    if (include?.[1]) {
      for (const pattern of include[1].split(/\s+/)) {
        // Relative include patterns are relative to the including file's directory, as in ldconfig.
        const abs = path.isAbsolute(pattern) ? pattern : path.join(path.dirname(file), pattern);
        for (const f of await expandGlob(abs)) await readConf(f, dirs, visiting);
      }
      continue;
    }
    if (/^hwcap\s/.test(line)) continue; // obsolete hwcap lines name no directory
    // A line may list several directories separated by whitespace, commas or colons.
    for (const dir of line.split(/[\s,:]+/)) if (dir.startsWith("/")) dirs.push(dir);
  }
}

/** Expands `*` and `?` in the last path component, sorted as glob(3) sorts. */
async function expandGlob(pattern: string): Promise<string[]> {
  const dir = path.dirname(pattern);
  const base = path.basename(pattern);
  if (!/[*?[]/.test(base)) return [pattern];
  const re = new RegExp(
    "^" + base.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$",
  );
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names.filter((n) => re.test(n) && !n.startsWith(".")).sort().map((n) => path.join(dir, n));
}
