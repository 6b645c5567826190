// Differential conformance for Node: each script in scripts/ runs with the
// same `node` on the host and in an image; stdout (and, where the case says
// so, stderr) and the exit status must match once the script's directory is
// written as /app in both.

import { execa } from "execa";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, test } from "vitest";

const root = resolve(import.meta.dirname, "../../..");
const cli = join(root, "dist/cli.js");
const dir = join(import.meta.dirname, "scripts");

interface Case {
  nodeFlags?: string[];
  args?: string[];
  env?: Record<string, string>;
  stderr?: boolean;
  binary?: boolean;
}

const special: Record<string, Case> = {
  "heap-grow-release.js": { nodeFlags: ["--expose-gc"] },
  "argv-env.js": { args: ["two words", "--flag", "ünï"], env: { CONF_GREETING: "hello there" } },
  "uncaught-exception.js": { stderr: true },
  "unhandled-rejection.js": { stderr: true },
  "stderr-stdout.js": { stderr: true },
  "stdout-binary.js": { binary: true },
};
// Not differential: the host can start processes, an image cannot (checked below).
const imageOnly = new Set(["child-process.js"]);

const scripts = readdirSync(dir).filter((f) => /\.m?js$/.test(f) && !imageOnly.has(f)).sort();

function normalize(s: string): string {
  return s.split(dir).join("/app");
}

function runInImage(script: string, c: Case) {
  const flags = ["run", "--exec", "node", "-m", "1G", "--add", `${join(dir, script)}:/app/${script}`];
  flags.push("--add", `${join(dir, "package.json")}:/app/package.json`); // CommonJS, as on the host
  for (const [k, v] of Object.entries(c.env ?? {})) flags.push("-e", `${k}=${v}`);
  flags.push("--timeout", "300", "--", ...(c.nodeFlags ?? []), `/app/${script}`, ...(c.args ?? []));
  return execa("node", [cli, ...flags], { reject: false, stripFinalNewline: false, encoding: c.binary ? "buffer" : "utf8" });
}

describe("Node scripts, host node vs image", () => {
  test("the suite has at least 40 scripts", () => {
    expect(scripts.length).toBeGreaterThanOrEqual(40);
  });

  for (const script of scripts) {
    test(script, async () => {
      const c = special[script] ?? {};
      const host = await execa("node", [...(c.nodeFlags ?? []), join(dir, script), ...(c.args ?? [])], {
        reject: false,
        stripFinalNewline: false,
        cwd: dir,
        env: c.env,
        encoding: c.binary ? "buffer" : "utf8",
      });
      const image = await runInImage(script, c);
      if (c.binary) {
        expect(Buffer.compare(image.stdout as unknown as Buffer, host.stdout as unknown as Buffer)).toBe(0);
      } else {
        if (c.stderr) expect(normalize(String(image.stderr))).toBe(normalize(String(host.stderr)));
        expect(normalize(String(image.stdout))).toBe(normalize(String(host.stdout)));
      }
      expect(image.exitCode).toBe(host.exitCode);
    });
  }

  test("child_process.spawn fails cleanly in an image: a thrown ENOSYS, no hang", async () => {
    const image = await runInImage("child-process.js", {});
    expect(image.stdout).toContain("spawn threw ENOSYS spawn");
    expect(image.stdout).toContain("execFileSync threw ENOSYS");
    expect(image.stdout).toContain("still running");
    expect(image.exitCode).toBe(0);
  });
});
