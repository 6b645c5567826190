// The write-log reader and the crash-state builder, on logs written here in the format
// QEMU's blklogwrites writes (dm-log-writes: superblock sector, then header sector + data).

import { describe, expect, it } from "vitest";
import { buildState, crashStates, LOG_DISCARD, LOG_FLUSH, parseLog, requiredRecords, rng } from "./blklog.js";

const SS = 512;

/** A log of ENTRIES ([sector, data|null for a flush, flags]) with FLUSHED in its superblock. */
function makeLog(entries: [number, Buffer | null, number?][], flushed: number): Buffer {
  const parts: Buffer[] = [];
  const sb = Buffer.alloc(SS);
  sb.writeBigUInt64LE(0x6a736677736872n, 0);
  sb.writeBigUInt64LE(1n, 8);
  sb.writeBigUInt64LE(BigInt(flushed), 16);
  sb.writeUInt32LE(SS, 24);
  parts.push(sb);
  for (const [sector, data, flags] of entries) {
    const h = Buffer.alloc(SS);
    h.writeBigUInt64LE(BigInt(sector), 0);
    h.writeBigUInt64LE(BigInt(data ? data.length / SS : 0), 8);
    h.writeBigUInt64LE(BigInt(flags ?? (data ? 0 : LOG_FLUSH)), 16);
    parts.push(h);
    if (data && !((flags ?? 0) & LOG_DISCARD)) parts.push(data);
  }
  return Buffer.concat(parts);
}

const sec = (byte: number, n = 1) => Buffer.alloc(SS * n, byte);

describe("blklogwrites logs", () => {
  const log = makeLog([[0, sec(1)], [2, sec(2, 2)], [0, null], [1, sec(3)], [0, sec(4)], [0, null], [3, sec(5)]], 6);
  const parsed = parseLog(log);

  it("reads every whole entry, also those after the last flush", () => {
    expect(parsed.sectorSize).toBe(SS);
    expect(parsed.flushedEntries).toBe(6);
    expect(parsed.entries.map((e) => [e.offset / SS, e.length / SS, e.flags])).toEqual([
      [0, 1, 0], [2, 2, 0], [0, 0, LOG_FLUSH], [1, 1, 0], [0, 1, 0], [0, 0, LOG_FLUSH], [3, 1, 0]]);
  });

  it("ignores a last entry the crash cut short, but not a log shorter than its superblock says", () => {
    expect(parseLog(log.subarray(0, log.length - 100)).entries).toHaveLength(6);
    expect(() => parseLog(log.subarray(0, SS * 4))).toThrow(/superblock says 6/);
    expect(() => parseLog(Buffer.alloc(SS))).toThrow(/bad magic/);
  });

  it("rebuilds the disk at each flush and between flushes with some writes lost", () => {
    const before = Buffer.alloc(SS * 4);
    const states = crashStates(parsed, 3, 7);
    const at2 = states.find((s) => s.name === "at flush 2")!;
    expect([...buildState(before, log, parsed, at2)].filter((_, i) => i % SS === 0)).toEqual([1, 0, 2, 2]);
    const at5 = states.find((s) => s.name === "at flush 5")!;
    expect([...buildState(before, log, parsed, at5)].filter((_, i) => i % SS === 0)).toEqual([4, 3, 2, 2]);
    // Between flush 2 and 5: the flush-2 disk plus a subset of entries 3 and 4, never others.
    const between = states.filter((s) => s.flush === 2 && s.extra.length > 0);
    expect(between.length).toBeGreaterThan(0);
    for (const s of between) expect(s.extra.every((i) => i === 3 || i === 4)).toBe(true);
    // After the last flush the unflushed tail (entry 6) is a crash state too.
    expect(states.some((s) => s.flush === 5 && s.extra.includes(6))).toBe(true);
    // The first states precede any flush: nothing is required there.
    expect(states[0]!.flush).toBe(-1);
  });

  it("requires a record only once the log had passed the point where it was acknowledged", () => {
    const acks = new Map([[1, parsed.entries[2]!.end], [2, parsed.entries[5]!.end + 10]]);
    const st = (f: number) => ({ name: "", flush: f, upTo: f + 1, extra: [] });
    expect(requiredRecords(parsed, acks, st(-1))).toBe(0);
    expect(requiredRecords(parsed, acks, st(2))).toBe(1);
    expect(requiredRecords(parsed, acks, st(5))).toBe(1);
    expect(requiredRecords(parsed, acks, st(6))).toBe(2);
  });

  it("draws the same subsets from the same seed", () => {
    const a = rng(42), b = rng(42);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});
