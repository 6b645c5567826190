// QEMU's blklogwrites driver records every write and flush a guest makes to a disk, in
// Linux's dm-log-writes format: sector 0 holds a superblock (magic, version, entry count
// as of the last flush, sector size), then each entry is one sector of header (target
// sector, sector count, flags, data length) followed by its data sectors (none for a
// flush or a discard). From the disk as it was before the run and this log, the disk can
// be rebuilt as it stood at any point: what a crash at that instant would have left.

export const LOG_FLUSH = 1;
export const LOG_FUA = 2;
export const LOG_DISCARD = 4;
export const LOG_MARK = 8;
const MAGIC = 0x6a736677736872n;

export interface LogEntry {
  index: number;
  /** Target offset and length in bytes. */
  offset: number;
  length: number;
  flags: number;
  /** Where the entry's data starts in the log, and where the entry ends. */
  dataAt: number;
  end: number;
}

export interface WriteLog {
  sectorSize: number;
  entries: LogEntry[];
  /** The entry count the superblock had at the last flush. */
  flushedEntries: number;
}

/** The entries of LOG: all those that are whole, including any written after the last flush. */
export function parseLog(log: Buffer): WriteLog {
  if (log.length < 28 || log.readBigUInt64LE(0) !== MAGIC) throw new Error("not a blklogwrites log (bad magic)");
  if (log.readBigUInt64LE(8) !== 1n) throw new Error(`unsupported blklogwrites log version ${log.readBigUInt64LE(8)}`);
  const sectorSize = log.readUInt32LE(24);
  const flushedEntries = Number(log.readBigUInt64LE(16));
  const entries: LogEntry[] = [];
  let at = sectorSize;
  while (at + sectorSize <= log.length) {
    const sector = Number(log.readBigUInt64LE(at));
    const nsectors = Number(log.readBigUInt64LE(at + 8));
    const flags = Number(log.readBigUInt64LE(at + 16));
    if (flags & ~(LOG_FLUSH | LOG_FUA | LOG_DISCARD | LOG_MARK)) break;   // past the last whole entry
    const dataAt = at + sectorSize;
    const dataLen = flags & LOG_DISCARD ? 0 : nsectors * sectorSize;
    if (dataAt + dataLen > log.length) break;                          // cut short by the crash
    entries.push({ index: entries.length, offset: sector * sectorSize, length: nsectors * sectorSize, flags, dataAt, end: dataAt + dataLen });
    at = dataAt + dataLen;
  }
  if (entries.length < flushedEntries) throw new Error(`log holds ${entries.length} whole entries, its superblock says ${flushedEntries}`);
  return { sectorSize, entries, flushedEntries };
}

/** Apply ENTRY of LOG to the in-memory DISK (writes and discards; flushes change nothing). */
export function applyEntry(disk: Buffer, log: Buffer, e: LogEntry): void {
  if (e.flags & LOG_FLUSH && e.length === 0) return;
  if (e.offset + e.length > disk.length) throw new Error(`log entry ${e.index} writes past the disk's end`);
  if (e.flags & LOG_DISCARD) disk.fill(0, e.offset, e.offset + e.length);
  else log.copy(disk, e.offset, e.dataAt, e.end);
}

/** A disk state to check: all entries before `upTo` applied, plus `extra` (later unflushed writes). */
export interface CrashState {
  name: string;
  /** Index of the last flush whose effects are all in this state (-1: none). */
  flush: number;
  upTo: number;
  extra: number[];
}

/** A small deterministic generator, so a failing state can be rebuilt from its name. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
}

/**
 * The states a crash could leave: the disk at every flush, and between two flushes, the
 * last flush's state with a subset of the writes since (a prefix in order, and random
 * subsets: a disk may persist unflushed writes in any order). `perGap` random subsets per gap.
 */
export function crashStates(log: WriteLog, perGap: number, seed = 1): CrashState[] {
  const random = rng(seed);
  const states: CrashState[] = [];
  const flushes = log.entries.filter((e) => e.flags & LOG_FLUSH).map((e) => e.index);
  let last = -1;
  for (const f of [...flushes, log.entries.length]) {
    const gap = log.entries.slice(last + 1, f).filter((e) => !(e.flags & LOG_FLUSH)).map((e) => e.index);
    if (gap.length > 0) {
      for (let k = 0; k < perGap; k++) {
        const prefix = k === 0;
        const extra = prefix ? gap.slice(0, Math.max(1, Math.floor(gap.length / 2))) : gap.filter(() => random() < 0.5);
        states.push({ name: `after flush ${last} ${prefix ? "+prefix" : `+subset${k}`} (${extra.length}/${gap.length} writes)`, flush: last, upTo: last + 1, extra });
      }
    }
    if (f < log.entries.length) states.push({ name: `at flush ${f}`, flush: f, upTo: f + 1, extra: [] });
    last = f;
  }
  return states;
}

/** Rebuild STATE's disk from the disk BEFORE the run. */
export function buildState(before: Buffer, log: Buffer, parsed: WriteLog, state: CrashState): Buffer {
  const disk = Buffer.from(before);
  for (let i = 0; i < state.upTo; i++) applyEntry(disk, log, parsed.entries[i]!);
  for (const i of state.extra) applyEntry(disk, log, parsed.entries[i]!);
  return disk;
}

/**
 * What must have survived in STATE: the highest N among ACKS (record N acknowledged when
 * the log was ACKS[N] bytes long, observed by the host after the guest said so, so no
 * earlier than the truth) whose observation lies within the entries up to the state's flush.
 */
export function requiredRecords(parsed: WriteLog, acks: Map<number, number>, state: CrashState): number {
  if (state.flush < 0) return 0;
  const end = parsed.entries[state.flush]!.end;
  let need = 0;
  for (const [n, at] of acks) if (at <= end && n > need) need = n;
  return need;
}
