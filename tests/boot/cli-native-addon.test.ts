// apps/native-addon end to end: two Node-API addons (node-gyp, C, libm; cmake-js, C++ with
// node-addon-api) packed with their shared libraries, their build tools (devDependencies) left
// out, and loaded by node inside the VM.

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
const app = join(root, "apps/native-addon");
const built = existsSync(join(app, "build/Release/gyp_addon.node")) && existsSync(join(app, "build-cmake/Release/cmake_addon.node"));

describe.skipIf(!built)("apps/native-addon (built by scripts/setup's npm ci)", () => {
  it("packs both addons and no build tools", async () => {
    const r = await execa("node", [cli, "build", app, "--tag", "native-addon-test"], { cwd: root, reject: false });
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^deps {5}0 production packages \(from package-lock\.json\), \d+ dev packages left out$/m);
    expect(r.stdout).toMatch(/^addons {3}build\/Release\/gyp_addon\.node, build-cmake\/Release\/cmake_addon\.node$/m);
    expect(r.stdout).toMatch(/^ignored {2}what \.uninodeignore lists$/m);
    const files = await execa("node", [cli, "inspect", "--files", "native-addon-test"], { cwd: root });
    // libm and libstdc++ are Node's own libraries too: there once, not twice.
    expect(files.stdout.match(/\/libm\.so\.6$/gm)).toHaveLength(1);
    expect(files.stdout).not.toMatch(/ \/app\/(node_modules|build\/Release\/obj\.target|src)\//);
  });

  it("loads them in the VM", async () => {
    const r = await execa("node", [cli, "run", "--timeout", "300", app], { cwd: root, reject: false });
    expect(r.stdout).toBe("hello from a node-gyp addon: hypot(3, 4) = 5\ncmake-js addon: sum([1, 2, 3.5]) = 6.5");
    expect(r.exitCode).toBe(0);
  });
});
