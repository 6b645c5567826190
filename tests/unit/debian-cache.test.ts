// The Debian package cache's names and housekeeping.

import { existsSync, mkdirSync, utimesSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { debFileName, sweepStale } from "../../src/debian/debs.js";
import { tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe("the Debian cache", () => {
  it("names a .deb by name, version (epoch colon escaped as apt does), arch and checksum", () => {
    const r = { name: "zlib1g", version: "1:1.2.13.dfsg-1+deb12u1", arch: "amd64", sha256: "ab".repeat(32), size: 1, filename: "" };
    expect(debFileName(r)).toBe("zlib1g_1%3a1.2.13.dfsg-1+deb12u1_amd64.abababababababab.deb");
  });

  it("removes a killed build's temp directories, not a running build's nor anything else", async () => {
    const dir = path.join(tmp.dir, "debian");
    for (const n of ["tmp-old", "tmp-new", "keep"]) mkdirSync(path.join(dir, n), { recursive: true });
    const twoDaysAgo = (Date.now() - 2 * 24 * 3600 * 1000) / 1000;
    utimesSync(path.join(dir, "tmp-old"), twoDaysAgo, twoDaysAgo);
    utimesSync(path.join(dir, "keep"), twoDaysAgo, twoDaysAgo);
    await sweepStale(dir);
    expect(existsSync(path.join(dir, "tmp-old"))).toBe(false);
    expect(existsSync(path.join(dir, "tmp-new"))).toBe(true);
    expect(existsSync(path.join(dir, "keep"))).toBe(true);
  });
});
