// The root disk under concurrency: virtio-blk completes by interrupt and the threads waiting
// for it sleep, so eight threads reading one file at once (read() and page faults) must all
// finish; a reader that spun on a page still being read would never let the reading thread run.

import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-boot-disk-"));
  execFileSync("gcc", ["-static", "-O2", "-pthread", "-o", join(work, "readers"), join(import.meta.dirname, "c/disk_readers.c")]);
  await writeFile(join(work, "data"), randomBytes(24 << 20));
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

it("eight threads reading one file at once all finish", async () => {
  const r = await execa("node", [cli, "run", "-m", "512M", "--timeout", "240", "--exec", join(work, "readers"),
    "--add", `${join(work, "data")}:/data/file`, "--", "/data/file"], { reject: false });
  expect(r.stdout).toBe(`ok ${24 << 20}`);
  expect(r.exitCode).toBe(0);
}, 300_000);
