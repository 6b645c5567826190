// An app laid out as pnpm installs it (node_modules/NAME → node_modules/.pnpm/..., each package
// beside links to its own dependencies), built with the host's node and booted: require() goes
// through the links in the VM's root fs. The layout is made by hand, so pnpm is not needed.

import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-boot-pnpm-"));
  const app = join(work, "app");
  const write = async (rel: string, content: string | object) => {
    await mkdir(dirname(join(app, rel)), { recursive: true });
    await writeFile(join(app, rel), typeof content === "string" ? content : JSON.stringify(content));
  };
  const link = async (rel: string, target: string) => {
    await mkdir(dirname(join(app, rel)), { recursive: true });
    await symlink(target, join(app, rel));
  };
  await write("package.json", { name: "pnpm-app", main: "index.js", dependencies: { greet: "1" } });
  await write("pnpm-lock.yaml", "lockfileVersion: '9.0'\n");
  await write("index.js", "console.log(require('greet')('uninode'), require.resolve('greet').replace(/@[\\d.]+/, '@V'));\n");
  await write("node_modules/.pnpm/greet@1.0.0/node_modules/greet/package.json", { name: "greet", version: "1.0.0", dependencies: { shout: "1" } });
  await write("node_modules/.pnpm/greet@1.0.0/node_modules/greet/index.js", "const shout = require('shout');\nmodule.exports = (n) => shout('hello ' + n);\n");
  await write("node_modules/.pnpm/shout@1.0.0/node_modules/shout/package.json", { name: "shout", version: "1.0.0" });
  await write("node_modules/.pnpm/shout@1.0.0/node_modules/shout/index.js", "module.exports = (s) => s.toUpperCase();\n");
  await link("node_modules/.pnpm/greet@1.0.0/node_modules/shout", "../../shout@1.0.0/node_modules/shout");
  await link("node_modules/greet", ".pnpm/greet@1.0.0/node_modules/greet");
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("a pnpm-installed app", () => {
  it("boots and requires its dependencies through pnpm's links", async () => {
    const r = await execa("node", [cli, "run", "--timeout", "300", join(work, "app")], {
      cwd: work,
      reject: false,
      env: { XDG_CACHE_HOME: join(work, "cache") },
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("HELLO UNINODE /app/node_modules/.pnpm/greet@V/node_modules/greet/index.js");
    expect(r.exitCode).toBe(0);
  });
});
