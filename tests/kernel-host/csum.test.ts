// rump/net/csum.c (checksum offload for virtio-net) built for the host and checked against a
// reference written from the RFCs: csum_test.c.

import { execa } from "execa";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";

const repo = join(import.meta.dirname, "..", "..");

test("checksum offload: transmit sums, receive checks and partial-checksum completion match the RFC reference", async () => {
  const dir = mkdtempSync(join(tmpdir(), "uninode-csum-"));
  try {
    const exe = join(dir, "csum_test");
    const san = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"];
    const build = (flags: string[]) =>
      execa("gcc", ["-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", ...flags, `-I${repo}`, `-I${join(repo, "rump/include")}`,
        join(repo, "rump/net/csum.c"), join(import.meta.dirname, "csum_test.c"), "-o", exe], { reject: false, all: true });
    let b = await build(san);
    if (b.exitCode !== 0 && /sanitize|asan|ubsan/i.test(b.all ?? "")) b = await build([]);
    expect(b.all, "csum_test.c builds").toBe("");
    const r = await execa(exe, [], { reject: false, all: true });
    expect(r.all).toMatch(/^\d+ passed, 0 failed$/m);
    expect(r.exitCode).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
