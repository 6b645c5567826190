import { mkdirSync, utimesSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cacheLimit, pruneImages } from "../../src/cache.js";
import { tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe("image cache pruning", () => {
  it("reads UNINODE_CACHE_MAX with a unit, default 4 GiB", () => {
    expect(cacheLimit({})).toBe(4 * 2 ** 30);
    expect(cacheLimit({ UNINODE_CACHE_MAX: "512M" })).toBe(512 * 2 ** 20);
    expect(cacheLimit({ UNINODE_CACHE_MAX: "100" })).toBe(100);
  });

  it("removes the least recently used untagged images first, never the new or a tagged one", async () => {
    const root = path.join(tmp.dir, "cache");
    mkdirSync(path.join(root, "images"), { recursive: true });
    mkdirSync(path.join(root, "tags"), { recursive: true });
    const img = (k: string, age: number) => {
      const f = path.join(root, "images", `${k}.img`);
      writeFileSync(f, Buffer.alloc(64 * 1024, 1));
      const t = new Date(Date.now() - age * 1000);
      utimesSync(f, t, t);
      return f;
    };
    const oldest = img("a", 400), tagged = img("b", 300), old = img("c", 200), fresh = img("d", 0);
    writeFileSync(path.join(root, "tags", "app"), "b\n");
    const removed = await pruneImages(root, fresh, 2 * 64 * 1024 + 1);
    expect(removed).toEqual([oldest, old]);
    expect(existsSync(tagged)).toBe(true);
    expect(existsSync(fresh)).toBe(true);
  });
});
