// Reading an ext2/3/4 superblock (1024 bytes at byte 1024 of the disk) to tell a uninode volume
// from any other file: the magic number, and exactly the feature set `volume create` formats with
// (the kernel refuses any other feature at mount; the CLI says so before QEMU starts).

import { open } from "node:fs/promises";

export const SUPERBLOCK_OFFSET = 1024;
export const SUPERBLOCK_SIZE = 1024;
const EXT_MAGIC = 0xef53;

type FeatureTable = Record<number, string>;

/** Feature bits by word, with e2fsprogs' names (lib/e2p/feature.c). */
const COMPAT: FeatureTable = {
  0x1: "dir_prealloc", 0x2: "imagic_inodes", 0x4: "has_journal", 0x8: "ext_attr", 0x10: "resize_inode",
  0x20: "dir_index", 0x40: "lazy_bg", 0x100: "snapshot_bitmap", 0x200: "sparse_super2", 0x400: "fast_commit",
  0x800: "stable_inodes", 0x1000: "orphan_file",
};
const INCOMPAT: FeatureTable = {
  0x1: "compression", 0x2: "filetype", 0x4: "needs_recovery", 0x8: "journal_dev", 0x10: "meta_bg",
  0x40: "extent", 0x80: "64bit", 0x100: "mmp", 0x200: "flex_bg", 0x400: "ea_inode", 0x1000: "dirdata",
  0x2000: "metadata_csum_seed", 0x4000: "large_dir", 0x8000: "inline_data", 0x10000: "encrypt", 0x20000: "casefold",
};
const RO_COMPAT: FeatureTable = {
  0x1: "sparse_super", 0x2: "large_file", 0x4: "btree_dir", 0x8: "huge_file", 0x10: "uninit_bg", 0x20: "dir_nlink",
  0x40: "extra_isize", 0x80: "has_snapshot", 0x100: "quota", 0x200: "bigalloc", 0x400: "metadata_csum",
  0x800: "replica", 0x1000: "read-only", 0x2000: "project", 0x4000: "shared_blocks", 0x8000: "verity",
  0x10000: "orphan_present",
};

/** The features `volume create` gives a volume (VOLUME_MKE2FS_FEATURES), as bits. */
export const VOLUME_FEATURE_BITS = { compat: 0x4, incompat: 0x2, roCompat: 0x1 | 0x2 } as const;
/** needs_recovery is state, not format: a volume whose VM was killed has a journal to replay. */
const INCOMPAT_STATE = 0x4;

export interface Superblock {
  blockSize: number;
  blocks: number;
  freeBlocks: number;
  inodes: number;
  freeInodes: number;
  label: string;
  uuid: string;
  /** Feature names, compat then incompat then ro_compat, in bit order (needs_recovery included). */
  features: string[];
  /** Features that are not ours (empty for a uninode volume). */
  foreign: string[];
  /** A journal is waiting to be replayed (the VM stopped without unmounting). */
  needsRecovery: boolean;
}

function names(word: number, table: FeatureTable, prefix: string): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    const v = 2 ** bit;
    if ((word & v) !== 0) out.push(table[v] ?? `${prefix}_${v.toString(16)}`);
  }
  return out;
}

/** Parses the 1024 superblock bytes; undefined when they are not an ext2/3/4 superblock. */
export function parseSuperblock(sb: Buffer): Superblock | undefined {
  if (sb.length < SUPERBLOCK_SIZE || sb.readUInt16LE(56) !== EXT_MAGIC) return undefined;
  const logBlock = sb.readUInt32LE(24);
  if (logBlock > 6) return undefined;
  const compat = sb.readUInt32LE(92);
  const incompat = sb.readUInt32LE(96);
  const roCompat = sb.readUInt32LE(100);
  const f = VOLUME_FEATURE_BITS;
  const foreign = [
    ...names(compat & ~f.compat, COMPAT, "compat"),
    ...names(incompat & ~(f.incompat | INCOMPAT_STATE), INCOMPAT, "incompat"),
    ...names(roCompat & ~f.roCompat, RO_COMPAT, "ro_compat"),
  ];
  // A volume we made has every one of ours; a missing journal is as foreign as an extra feature.
  const missing = [...names(f.compat & ~compat, COMPAT, ""), ...names(f.incompat & ~incompat, INCOMPAT, ""), ...names(f.roCompat & ~roCompat, RO_COMPAT, "")];
  const uuid = sb.subarray(104, 120).toString("hex");
  return {
    blockSize: 1024 << logBlock,
    blocks: sb.readUInt32LE(4),
    freeBlocks: sb.readUInt32LE(12),
    inodes: sb.readUInt32LE(0),
    freeInodes: sb.readUInt32LE(16),
    label: sb.subarray(120, 136).toString("latin1").replace(/\0.*$/s, ""),
    uuid: `${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-${uuid.slice(12, 16)}-${uuid.slice(16, 20)}-${uuid.slice(20)}`,
    features: [...names(compat, COMPAT, "compat"), ...names(incompat, INCOMPAT, "incompat"), ...names(roCompat, RO_COMPAT, "ro_compat")],
    foreign: [...foreign, ...missing.map((m) => `no ${m}`)],
    needsRecovery: (incompat & INCOMPAT_STATE) !== 0,
  };
}

/** The superblock of the disk file `file`, or undefined when it has none. */
export async function readSuperblock(file: string): Promise<Superblock | undefined> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(SUPERBLOCK_SIZE);
    const { bytesRead } = await fh.read(buf, 0, SUPERBLOCK_SIZE, SUPERBLOCK_OFFSET);
    return bytesRead === SUPERBLOCK_SIZE ? parseSuperblock(buf) : undefined;
  } finally {
    await fh.close();
  }
}
