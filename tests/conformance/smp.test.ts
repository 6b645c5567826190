// The same differential checks with two virtual CPUs: threads on both CPUs,
// futexes across them, TLB shootdowns when memory is unmapped, signals, and
// Node's worker threads and threadpool.

import { execa } from "execa";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-smp-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("two CPUs", () => {
  for (const name of ["threads", "mremap", "malloc_stress"]) {
    test(`C ${name}: same output as on the host`, async () => {
      const bin = join(work, name);
      await execa("gcc", ["-O2", "-pthread", "-o", bin, join(root, "tests/conformance/c", `${name}.c`)]);
      const host = await execa(bin, [], { reject: false });
      const image = await execa("node", [cli, "run", "--cpus", "2", "-m", "768M", "--verbose", "--exec", bin], { reject: false });
      expect(image.stderr).toContain("2 CPUs online");
      expect(image.stdout).toBe(host.stdout);
      expect(image.exitCode).toBe(host.exitCode);
    });
  }

  // execve from one thread while another spins on the other CPU: it must be ended there too.
  test("C execve_stages: same output as on the host", async () => {
    const bin = join(work, "execve_stages");
    await execa("gcc", ["-O2", "-pthread", "-o", bin, join(root, "tests/conformance/c/execve_stages.c"), "-lm"]);
    const scratch = join(work, "scratch");
    await mkdir(scratch, { recursive: true });
    const host = await execa(bin, [scratch], { reject: false });
    const image = await execa("node", [cli, "run", "--cpus", "2", "--verbose", "--exec", bin, "--", "/tmp"], { reject: false });
    expect(image.stderr).toContain("2 CPUs online");
    expect(image.stdout).toBe(host.stdout);
    expect(image.exitCode).toBe(host.exitCode);
  });

  const scripts = join(root, "tests/conformance/node/scripts");
  for (const script of ["worker-pool.js", "worker-atomics.js", "crypto-kdf.js", "heap-grow-release.js"]) {
    test(`node ${script}: same output as on the host`, async () => {
      const flags = script.startsWith("heap") ? ["--expose-gc"] : [];
      const host = await execa("node", [...flags, join(scripts, script)], { reject: false, cwd: scripts });
      const image = await execa(
        "node",
        [cli, "run", "--cpus", "2", "-m", "1G", "--exec", "node", "--add", `${join(scripts, script)}:/app/${script}`,
          "--add", `${join(scripts, "package.json")}:/app/package.json`, "--", ...flags, `/app/${script}`],
        { reject: false },
      );
      expect(image.stdout).toBe(host.stdout);
      expect(image.exitCode).toBe(host.exitCode);
    });
  }

  test("os.availableParallelism() sees both CPUs", async () => {
    const image = await execa("node", [cli, "run", "--cpus", "2", "-m", "1G", "--exec", "node", "--", "-e", "console.log(os.availableParallelism())"], { reject: false });
    expect(image.stdout.trim()).toBe("2");
  });
});
