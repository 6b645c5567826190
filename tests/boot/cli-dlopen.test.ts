// `run --exec PROG --lib NAME`: a library the program opens with dlopen, named on the command
// line, is in the image where the VM's loader finds it; without --lib, dlopen fails with the
// loader's own message, as on a Linux machine that lacks the library. Boots the real kernel under
// QEMU (TCG here): seconds per test.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-boot-dlopen-"));
  execFileSync("gcc", ["-O1", "-o", join(work, "dlopen_call"), join(root, "tests/boot/c/dlopen_call.c")]);
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function uninode(args: string[]) {
  // The output is compared byte for byte with the host's, final newline included.
  return execa("node", [cli, ...args], { cwd: work, reject: false, stripFinalNewline: false, env: { XDG_CACHE_HOME: join(work, "cache") } });
}

/** What the program prints on this machine, outside any VM. */
function onHost(...args: string[]) {
  const r = spawnSync(join(work, "dlopen_call"), args, { encoding: "utf8" });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

describe("run --exec --lib", () => {
  it("opens a library named with --lib by its soname and calls into it, as on the host", async () => {
    const host = onHost("libz.so.1", "zlibVersion");
    expect(host.status).toBe(0);
    expect(host.stdout).toMatch(/^\d+\.\d+/);

    const r = await uninode(["run", "--timeout", "300", "--exec", "./dlopen_call", "--lib", "libz.so.1", "--", "libz.so.1", "zlibVersion"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(host.stdout);
    expect(r.exitCode).toBe(0);
  });

  it("without --lib, dlopen fails with the loader's message for a missing library, as on Linux", async () => {
    // The host has libz, so its wording for a missing library comes from a name it lacks.
    const missing = onHost("libuninode-missing.so.1", "zlibVersion");
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe("libuninode-missing.so.1: cannot open shared object file: No such file or directory\n");

    const r = await uninode(["run", "--timeout", "300", "--exec", "./dlopen_call", "--", "libz.so.1", "zlibVersion"]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(missing.stderr.replace("libuninode-missing.so.1", "libz.so.1"));
    expect(r.exitCode).toBe(1);
  });
});
