// Remembered file hashes, so rebuilding an unchanged app does not read its 100 MB of node and
// node_modules again: a file's sha256 is reused while its inode, size, mtime and ctime are the
// same (ctime changes on any write, and no program can set it back).

import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { digestFile, type FileDigest } from "./stage.js";

const FORMAT = 1;
/** Past this many entries the oldest half is dropped when saving. */
const MAX_ENTRIES = 200_000;

interface Stored {
  format: number;
  entries: Record<string, [string, number]>; // key → [sha256, last used (ms)]
}

export class DigestCache {
  private entries = new Map<string, [string, number]>();
  private dirty = false;
  hits = 0;
  misses = 0;

  constructor(private readonly file: string | undefined) {}

  /** Loads the cache file under `cacheRoot` (missing or damaged: starts empty). */
  static async open(cacheRoot: string): Promise<DigestCache> {
    const c = new DigestCache(path.join(cacheRoot, "digests.json"));
    try {
      const stored = JSON.parse(await readFile(c.file!, "utf8")) as Stored;
      if (stored.format === FORMAT) c.entries = new Map(Object.entries(stored.entries));
    } catch {
      // a fresh cache
    }
    return c;
  }

  /** A cache that remembers nothing between runs. */
  static memory(): DigestCache {
    return new DigestCache(undefined);
  }

  async digest(file: string): Promise<FileDigest> {
    const st = await stat(file, { bigint: true });
    const key = `${file}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.hits++;
      hit[1] = Date.now();
      return { size: Number(st.size), sha256: hit[0] };
    }
    this.misses++;
    const d = await digestFile(file);
    // Changed while being read: do not remember a hash that may belong to neither version.
    const after = await stat(file, { bigint: true });
    if (after.mtimeNs === st.mtimeNs && after.ctimeNs === st.ctimeNs && BigInt(d.size) === st.size) {
      this.entries.set(key, [d.sha256, Date.now()]);
      this.dirty = true;
    }
    return d;
  }

  /** Writes the cache back (atomically) when something was added. */
  async save(): Promise<void> {
    if (this.file === undefined || (!this.dirty && this.hits === 0)) return;
    let list = [...this.entries];
    if (list.length > MAX_ENTRIES) list = list.sort((a, b) => b[1][1] - a[1][1]).slice(0, MAX_ENTRIES / 2);
    const stored: Stored = { format: FORMAT, entries: Object.fromEntries(list) };
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    await writeFile(tmp, JSON.stringify(stored));
    await rename(tmp, this.file);
    this.dirty = false;
  }
}
