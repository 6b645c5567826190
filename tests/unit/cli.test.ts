import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/paths.js";
import { HELLO_C, compileC, tempDir, runCli } from "./helpers.js";

const tmp = tempDir();
let hello: string;
let kernel: string;

beforeAll(() => {
  hello = compileC(tmp.dir, "hello", HELLO_C);
  kernel = compileC(tmp.dir, "fake-kernel", "int main(void) { return 0; }\n", ["-static"]);
});
afterAll(() => tmp.cleanup());

interface Outcome {
  status: number;
  stdout: string;
  stderr: string;
}

function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  return runCli(argv, tmp.dir, { XDG_CACHE_HOME: path.join(tmp.dir, "cache"), UNINODE_KERNEL: kernel, ...env });
}

/** One line on stderr, starting "uninode: ", no stack trace. */
function expectOneSentence(o: Outcome, pattern: RegExp) {
  const lines = o.stderr.split("\n").filter((l) => l !== "");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^uninode: /);
  expect(lines[0]).toMatch(pattern);
  expect(o.stderr).not.toMatch(/\n\s+at /);
}

describe("uninode CLI: bad input", () => {
  it("rejects an unknown option with exit 2", async () => {
    const o = await cli(["run", "--frobnicate"]);
    expect(o.status).toBe(2);
    expectOneSentence(o, /Unknown option --frobnicate for 'uninode run'/);
  });

  it("rejects an unknown command with exit 2", async () => {
    const o = await cli(["launch"]);
    expect(o.status).toBe(2);
    expectOneSentence(o, /Unknown command "launch"/);
  });

  it("says a non-ELF --exec is not an ELF program", async () => {
    const script = path.join(tmp.dir, "script.sh");
    writeFileSync(script, "#!/bin/sh\necho hi\n", { mode: 0o755 });
    const o = await cli(["run", "--exec", script]);
    expect(o.status).toBe(1);
    expectOneSentence(o, /script\.sh is not an ELF program/);
  });

  it("says a missing program does not exist, or is not on PATH", async () => {
    let o = await cli(["run", "--exec", "./no-such-program"]);
    expect(o.status).toBe(1);
    expectOneSentence(o, /\.\/no-such-program does not exist/);
    o = await cli(["build", "--exec", "no-such-program-anywhere", "-o", "x.img"]);
    expect(o.status).toBe(1);
    expectOneSentence(o, /was not found on PATH/);
  });

  it("needs --exec or an IMAGE, and -o for build", async () => {
    expect((await cli(["run"])).status).toBe(2);
    const o = await cli(["build", "--exec", hello]);
    expect(o.status).toBe(2);
    expectOneSentence(o, /needs -o IMAGE/);
  });

  it("validates --memory, --accel and --timeout", async () => {
    for (const [flag, value, msg] of [
      ["--memory", "lots", /--memory expects a size/],
      ["--accel", "hvf", /--accel expects kvm or tcg/],
      ["--timeout", "-3", /--timeout expects a positive number/],
    ] as const) {
      const o = await cli(["run", flag, value, "--exec", hello]);
      expect(o.status).toBe(2);
      expectOneSentence(o, msg);
    }
  });

  it("rejects -e that is not KEY=VALUE for an image file", async () => {
    writeFileSync(path.join(tmp.dir, "some.img"), "not really an image");
    const o = await cli(["run", "-e", "A", "some.img"]);
    expect(o.status).toBe(2);
    expectOneSentence(o, /-e expects KEY=VALUE, got "A"/);
  });

  it("passes -e for an image as percent-encoded env= kernel tokens", async () => {
    const { bootEnvTokens } = await import("../../src/commands/run.js");
    expect(bootEnvTokens(["A=1", "B=two words 100%", "C=é"])).toEqual(["env=A=1", "env=B=two%20words%20100%25", "env=C=%c3%a9"]);
  });

  it("says when an IMAGE is not an image", async () => {
    const o = await cli(["run", hello]);
    expect(o.status).toBe(1);
    expectOneSentence(o, /is not a uninode image/);
  });

  it("never overwrites a file that is not an image", async () => {
    const precious = path.join(tmp.dir, "precious.txt");
    writeFileSync(precious, "keep me\n");
    const o = await cli(["build", "--exec", hello, "-o", precious]);
    expect(o.status).toBe(1);
    expectOneSentence(o, /exists and is not a uninode image/);
    expect(readFileSync(precious, "utf8")).toBe("keep me\n");
  });

  it("says where the kernel should be when it is missing", async () => {
    const o = await cli(["build", "--exec", hello, "-o", "x.img"], { UNINODE_KERNEL: path.join(tmp.dir, "nope.elf") });
    expect(o.status).toBe(1);
    expectOneSentence(o, /UNINODE_KERNEL names .*nope\.elf, which is not a file/);
  });

  it("says how to get QEMU when it is missing", async () => {
    const o = await cli(["run", "--exec", hello], { PATH: path.join(tmp.dir, "empty-path") });
    expect(o.status).toBe(1);
    expectOneSentence(o, /qemu-system-x86_64 was not found; run `npm run setup` or `apt-get install qemu-system-x86`/);
  });
});

describe("uninode CLI: build", () => {
  it("builds an image, and replaces its own image on a rebuild", async () => {
    const out = path.join(tmp.dir, "hello.img");
    expect((await cli(["build", "--exec", hello, "-o", out, "--", "a"])).status).toBe(0);
    const first = readFileSync(out);
    expect(first.subarray(0, 14).toString("latin1")).toBe("UNINODE-IMAGE\0");
    const o = await cli(["build", "--exec", hello, "-o", out, "--", "b"]);
    expect(o.status).toBe(0);
    expect(readFileSync(out).equals(first)).toBe(false);
  });

  it("prints help per command with examples", async () => {
    const o = await cli(["build", "--help"]);
    expect(o.status).toBe(0);
    expect(o.stdout).toMatch(/Usage:\n {2}uninode build \[APP_DIR\]/);
    expect(o.stdout).toMatch(/\n {2}uninode build --exec PROGRAM -o IMAGE/);
    expect(o.stdout).toMatch(/Examples:/);
  });
});

// The built CLI as a user runs it: a real process, its exit status and stderr. `npm test` builds
// dist/ first; a bare `vitest run` before any build skips this, visibly.
const builtCli = path.join(packageRoot(), "dist", "cli.js");
describe.skipIf(!existsSync(builtCli))("the built CLI (dist/cli.js)", () => {
  it("prints one sentence and exits 1 for a non-ELF program, without a stack trace", () => {
    const r = spawnSync(process.execPath, [builtCli, "run", "--exec", "/etc/passwd"], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("uninode: /etc/passwd is not an ELF program (it does not start with the ELF magic bytes).\n");
  });

  it("exits 2 for an unknown option", () => {
    const r = spawnSync(process.execPath, [builtCli, "build", "--nope"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("answers --version", () => {
    expect(execFileSync(process.execPath, [builtCli, "--version"], { encoding: "utf8" })).toMatch(/^uninode \d+\.\d+\.\d+\n$/);
  });
});
