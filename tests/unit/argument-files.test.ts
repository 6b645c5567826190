// The rule for arguments after --: existing host files are copied so the program finds them.

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { argumentFiles, planExec } from "../../src/image/plan.js";
import { HELLO_C, compileC, tempDir } from "./helpers.js";

const tmp = tempDir();
let hello: string;

beforeAll(() => {
  hello = compileC(tmp.dir, "hello", HELLO_C);
  mkdirSync(path.join(tmp.dir, "lib"));
  writeFileSync(path.join(tmp.dir, "script.js"), "console.log(1)\n");
  writeFileSync(path.join(tmp.dir, "lib", "util.js"), "exports.x = 1\n");
});
afterAll(() => tmp.cleanup());

describe("argument files", () => {
  it("maps relative paths under /app and absolute paths to themselves", async () => {
    // Not under /tmp (the VM mounts its own there; checkouts and temp dirs may be there too).
    const abs = "/etc/passwd";
    const files = await argumentFiles(["script.js", "./lib/util.js", abs, "-e", "console.log(1)", "missing.js"], tmp.dir);
    expect(files.map((f) => [f.arg, f.imagePath])).toEqual([
      ["script.js", "/app/script.js"],
      ["./lib/util.js", "/app/lib/util.js"],
      [abs, abs],
    ]);
  });

  it("skips options, directories and the VM's own filesystems", async () => {
    const files = await argumentFiles(["-r", "--require=./script.js", "lib", "/tmp", path.join(tmp.dir, "script.js"), "/proc/self/status", "/dev/null", ""], tmp.dir);
    expect(files).toEqual([]);
  });

  it("adds them to an --exec plan, and never replaces the image's own files", async () => {
    const plan = await planExec({ program: hello, args: ["script.js", "/etc/passwd", "hello"], env: [], adds: [], baseDir: tmp.dir });
    const script = plan.entries.get("/app/script.js");
    expect(script).toMatchObject({ type: "file", role: "added", hostPath: path.join(tmp.dir, "script.js") });
    // The generated passwd and the program itself stay what they were.
    expect(plan.entries.get("/etc/passwd")).toMatchObject({ type: "data", role: "generated" });
    expect(plan.entries.get("/app/hello")).toMatchObject({ role: "program" });
  });

  it("can be turned off", async () => {
    const plan = await planExec({ program: hello, args: ["script.js"], env: [], adds: [], baseDir: tmp.dir, argFiles: false });
    expect(plan.entries.has("/app/script.js")).toBe(false);
  });
});
