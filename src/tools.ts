// Finding the host programs uninode drives (qemu-system-x86_64, mke2fs, e2fsck, debugfs).
// e2fsprogs lives in /usr/sbin, which is not on a non-root user's PATH on Debian, so the sbin
// directories are searched after PATH.

import { access, constants, stat } from "node:fs/promises";
import path from "node:path";
import { UninodeError } from "./errors.js";

const SBIN_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/** What to tell the user when a tool is missing: the Debian package that has it. */
const PACKAGE_OF: Record<string, string> = {
  "qemu-system-x86_64": "qemu-system-x86",
  mke2fs: "e2fsprogs",
  e2fsck: "e2fsprogs",
  debugfs: "e2fsprogs",
};

export class ToolNotFoundError extends UninodeError {}

/** The absolute path of `name`, or undefined. */
export async function whichTool(name: string, searchPath = process.env["PATH"] ?? ""): Promise<string | undefined> {
  const dirs = [...searchPath.split(":").filter((d) => d !== ""), ...SBIN_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      if (!(await stat(candidate)).isFile()) continue;
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return undefined;
}

/** Like whichTool, but a missing tool is one sentence naming the fix. */
export async function requireTool(name: string, searchPath?: string): Promise<string> {
  const found = await whichTool(name, searchPath);
  if (found !== undefined) return found;
  const pkg = PACKAGE_OF[name] ?? name;
  throw new ToolNotFoundError("TOOL_NOT_FOUND", `${name} was not found; run \`npm run setup\` or \`apt-get install ${pkg}\`.`);
}
