// .dockerignore / .uninodeignore, as Docker reads them: one pattern per line, `#` comments, `!` to
// take a path back, `*` and `?` within one path segment, `**` across segments, a leading `/`
// meaning the app directory; a pattern that matches a directory leaves out everything under it;
// the last matching line decides.

import { readFile } from "node:fs/promises";
import path from "node:path";

export interface IgnoreRule {
  pattern: string;
  negate: boolean;
  regex: RegExp;
}

export interface IgnoreRules {
  /** The file the rules came from (".uninodeignore"), or undefined when there was none. */
  source: string | undefined;
  rules: IgnoreRule[];
}

/** The files checked, first found wins: .uninodeignore is for uninode alone, .dockerignore is shared. */
export const IGNORE_FILES = [".uninodeignore", ".dockerignore"];

export async function loadIgnore(appDir: string): Promise<IgnoreRules> {
  for (const name of IGNORE_FILES) {
    let text: string;
    try {
      text = await readFile(path.join(appDir, name), "utf8");
    } catch {
      continue;
    }
    return { source: name, rules: parseIgnore(text) };
  }
  return { source: undefined, rules: [] };
}

export function parseIgnore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    let negate = false;
    if (line.startsWith("!")) {
      negate = true;
      line = line.slice(1).trim();
    }
    // Docker cleans each pattern like a path: no leading "/" or "./", no trailing "/".
    const cleaned = path.posix.normalize(line).replace(/^(\.\/)+/, "").replace(/^\/+/, "").replace(/\/+$/, "");
    if (cleaned === "" || cleaned === ".") continue;
    rules.push({ pattern: cleaned, negate, regex: globToRegex(cleaned) });
  }
  return rules;
}

/** Is `rel` (a path relative to the app directory, "/" separators) left out by the rules? */
export function isIgnored(rules: readonly IgnoreRule[], rel: string): boolean {
  let ignored = false;
  // A path is matched itself and through each of its parent directories, as in Docker.
  const parts = rel.split("/");
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  for (const rule of rules) {
    if (prefixes.some((p) => rule.regex.test(p))) ignored = !rule.negate;
  }
  return ignored;
}

/**
 * Could anything under directory `rel` be taken back by a `!` rule? If not, an ignored directory
 * need not be walked at all.
 */
export function mayReinclude(rules: readonly IgnoreRule[], rel: string): boolean {
  return rules.some((r) => r.negate && (r.pattern.startsWith(rel + "/") || r.pattern.includes("*")));
}

export function globToRegex(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        // "**/" matches zero or more directories; a trailing "**" matches everything.
        i++;
        if (glob[i + 1] === "/") {
          i++;
          re += "(?:.*/)?";
        } else re += ".*";
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end === -1) re += "\\[";
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith("^") || body.startsWith("!")) body = "^" + body.slice(1);
        re += `[${body.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else if (c === "\\" && i + 1 < glob.length) {
      re += escapeRe(glob[++i]!);
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}
