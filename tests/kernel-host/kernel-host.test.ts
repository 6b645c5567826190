// The kernel's filesystem pieces compiled for the host (run.sh) against real
// ext2 images made by mke2fs: one vitest case so `npm test` runs them.

import { execa } from "execa";
import { join } from "node:path";
import { expect, test } from "vitest";

test("kernel pieces on the host: ext2, page cache, path walk, tmpfs, fd table", async () => {
  const r = await execa("bash", [join(import.meta.dirname, "run.sh")], { reject: false, all: true });
  expect(r.all).toMatch(/^\d+ passed, 0 failed$/m);
  expect(r.exitCode).toBe(0);
}, 600_000);
