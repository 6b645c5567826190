// A reader for the parts of an ELF64 x86-64 file that building an image needs: the header, the
// program headers, the interpreter (PT_INTERP) and the dynamic section's names (DT_NEEDED,
// DT_RUNPATH, DT_RPATH, DT_SONAME). It reads the file with fs and never runs it: running a
// user's binary to learn its libraries is how weaker builders go wrong.

import { open, type FileHandle } from "node:fs/promises";
import { UninodeError, errnoCode, messageOf } from "../errors.js";

export class ElfError extends UninodeError {}

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const EM_386 = 3;
const EM_X86_64 = 62;
const ET_EXEC = 2;
const ET_DYN = 3;
const PN_XNUM = 0xffff;

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const DYN_SIZE = 16;

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_TLS = 7;

const DT_NULL = 0n;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;
const DT_STRSZ = 10n;
const DT_SONAME = 14n;
const DT_RPATH = 15n;
const DT_RUNPATH = 29n;
const DT_FLAGS_1 = 0x6ffffffbn;
const DF_1_PIE = 0x08000000n;

export interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: bigint;
  fileSize: number;
  memSize: bigint;
  align: bigint;
}

export interface DynamicInfo {
  /** DT_NEEDED names, in the order the file lists them (the loader's search order). */
  needed: string[];
  soname?: string;
  /** DT_RUNPATH and DT_RPATH as written (colon-separated, possibly with $ORIGIN). */
  runpath?: string;
  rpath?: string;
  flags1: bigint;
}

/**
 * static: ET_EXEC without an interpreter; static-pie: ET_DYN marked PIE without an interpreter;
 * dynamic: has PT_INTERP; shared-library: ET_DYN that is neither (a .so).
 */
export type ElfKind = "static" | "static-pie" | "dynamic" | "shared-library";

export interface ElfFile {
  path: string;
  size: number;
  /** e_type: 2 = ET_EXEC, 3 = ET_DYN. */
  type: number;
  kind: ElfKind;
  entry: bigint;
  programHeaders: ProgramHeader[];
  interpreter?: string;
  dynamic?: DynamicInfo;
}

/** Reads and validates an ELF64 x86-64 file's headers; throws ElfError for anything else. */
export async function readElf(path: string): Promise<ElfFile> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) {
      throw new ElfError("ELF_NOT_A_FILE", `${path} is not a regular file, so it cannot be an ELF program.`);
    }
    return await parse(new RangeReader(fh, path, stat.size));
  } finally {
    await fh.close();
  }
}

/** True when the file starts with the ELF magic; false for anything else, including unreadable files. */
export async function looksLikeElf(path: string): Promise<boolean> {
  try {
    const fh = await open(path, "r");
    try {
      const buf = Buffer.alloc(4);
      const { bytesRead } = await fh.read(buf, 0, 4, 0);
      return bytesRead === 4 && buf.equals(ELF_MAGIC);
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

function fileError(path: string, err: unknown): UninodeError {
  switch (errnoCode(err)) {
    case "ENOENT":
      return new UninodeError("FILE_NOT_FOUND", `${path} does not exist.`, { cause: err });
    case "EACCES":
    case "EPERM":
      return new UninodeError("FILE_NOT_READABLE", `${path} cannot be read: permission denied.`, { cause: err });
    case "EISDIR":
      return new ElfError("ELF_NOT_A_FILE", `${path} is a directory, not an ELF program.`, { cause: err });
    default:
      return new UninodeError("FILE_NOT_READABLE", `${path} cannot be read: ${messageOf(err)}.`, { cause: err });
  }
}

/** Bounds-checked reads at file offsets, so a lying header becomes ELF_TRUNCATED, not garbage. */
class RangeReader {
  constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    readonly size: number,
  ) {}

  async read(offset: number, length: number, what: string): Promise<Buffer> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new ElfError(
        "ELF_TRUNCATED",
        `${this.path} is truncated: its ${what} (bytes ${offset}..${offset + length}) lies past the end of the ${this.size}-byte file.`,
      );
    }
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    if (done !== length) {
      throw new ElfError("ELF_TRUNCATED", `${this.path} is truncated: it ended while reading its ${what}.`);
    }
    return buf;
  }
}

/** A u64 file offset or size as a number; offsets past 2^53 cannot be real files. */
function toNumber(v: bigint, path: string, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ElfError("ELF_TRUNCATED", `${path} is truncated or corrupt: its ${what} (${v}) is beyond any file's end.`);
  }
  return Number(v);
}

async function parse(r: RangeReader): Promise<ElfFile> {
  const { path } = r;
  if (r.size < 4) throw notElf(path);
  const magic = await r.read(0, 4, "magic");
  if (!magic.equals(ELF_MAGIC)) throw notElf(path);
  if (r.size < 20) {
    throw new ElfError("ELF_TRUNCATED", `${path} is truncated: it ends inside its ELF header.`);
  }
  const ident = await r.read(0, 20, "ELF identification");
  const elfClass = ident[4];
  const machine = ident.readUInt16LE(18);
  if (elfClass === ELFCLASS32) {
    const arch = machine === EM_386 ? "i386" : `machine ${machine}`;
    throw new ElfError("ELF_32BIT", `${path} is a 32-bit ELF (${arch}); uninode runs 64-bit x86-64 programs only.`);
  }
  if (elfClass !== ELFCLASS64) {
    throw new ElfError("ELF_NOT_ELF", `${path} has an unknown ELF class (${elfClass}); it is not a valid ELF file.`);
  }
  if (ident[5] !== ELFDATA2LSB) {
    throw new ElfError("ELF_NOT_X86_64", `${path} is a big-endian ELF; uninode runs x86-64 programs only.`);
  }
  if (machine !== EM_X86_64) {
    throw new ElfError(
      "ELF_NOT_X86_64",
      `${path} is an ELF for ${machineName(machine)}, not x86-64; uninode runs x86-64 programs only.`,
    );
  }

  const eh = await r.read(0, EHDR_SIZE, "ELF header");
  const type = eh.readUInt16LE(16);
  const entry = eh.readBigUInt64LE(24);
  const phoff = toNumber(eh.readBigUInt64LE(32), path, "program header offset");
  const shoff = toNumber(eh.readBigUInt64LE(40), path, "section header offset");
  const phentsize = eh.readUInt16LE(54);
  let phnum = eh.readUInt16LE(56);
  if (phnum === PN_XNUM) {
    // More than 0xfffe program headers: the real count is in section header 0's sh_info.
    const sh0 = await r.read(shoff, 64, "section header 0");
    phnum = sh0.readUInt32LE(44);
  }
  if (phnum > 0 && phentsize < PHDR_SIZE) {
    throw new ElfError("ELF_NOT_ELF", `${path} is corrupt: its program headers are ${phentsize} bytes, not ${PHDR_SIZE}.`);
  }

  const programHeaders: ProgramHeader[] = [];
  if (phnum > 0) {
    const table = await r.read(phoff, phnum * phentsize, "program header table");
    for (let i = 0; i < phnum; i++) {
      const b = table.subarray(i * phentsize, i * phentsize + PHDR_SIZE);
      programHeaders.push({
        type: b.readUInt32LE(0),
        flags: b.readUInt32LE(4),
        offset: toNumber(b.readBigUInt64LE(8), path, `program header ${i} offset`),
        vaddr: b.readBigUInt64LE(16),
        fileSize: toNumber(b.readBigUInt64LE(32), path, `program header ${i} size`),
        memSize: b.readBigUInt64LE(40),
        align: b.readBigUInt64LE(48),
      });
    }
  }

  let interpreter: string | undefined;
  const interp = programHeaders.find((p) => p.type === PT_INTERP);
  if (interp) interpreter = cString(await r.read(interp.offset, interp.fileSize, "PT_INTERP segment"), 0);

  let dynamic: DynamicInfo | undefined;
  const dyn = programHeaders.find((p) => p.type === PT_DYNAMIC);
  if (dyn) dynamic = await readDynamic(r, dyn, programHeaders);

  const isPie = dynamic !== undefined && (dynamic.flags1 & DF_1_PIE) !== 0n;
  let kind: ElfKind;
  if (interpreter !== undefined) kind = "dynamic";
  else if (type === ET_EXEC) kind = "static";
  else if (type === ET_DYN && isPie) kind = "static-pie";
  else if (type === ET_DYN) kind = "shared-library";
  else throw new ElfError("ELF_NOT_EXECUTABLE", `${path} is an ELF of type ${type} (an object file or core dump), not a program.`);

  const result: ElfFile = { path, size: r.size, type, kind, entry, programHeaders };
  if (interpreter !== undefined) result.interpreter = interpreter;
  if (dynamic !== undefined) result.dynamic = dynamic;
  return result;
}

async function readDynamic(r: RangeReader, dyn: ProgramHeader, phdrs: ProgramHeader[]): Promise<DynamicInfo> {
  const table = await r.read(dyn.offset, dyn.fileSize - (dyn.fileSize % DYN_SIZE), "dynamic section");
  const neededOffsets: bigint[] = [];
  let strtab: bigint | undefined;
  let strsz: bigint | undefined;
  let soname: bigint | undefined;
  let rpath: bigint | undefined;
  let runpath: bigint | undefined;
  let flags1 = 0n;
  for (let off = 0; off + DYN_SIZE <= table.length; off += DYN_SIZE) {
    const tag = table.readBigInt64LE(off);
    const val = table.readBigUInt64LE(off + 8);
    if (tag === DT_NULL) break;
    if (tag === DT_NEEDED) neededOffsets.push(val);
    else if (tag === DT_STRTAB) strtab = val;
    else if (tag === DT_STRSZ) strsz = val;
    else if (tag === DT_SONAME) soname = val;
    else if (tag === DT_RPATH) rpath = val;
    else if (tag === DT_RUNPATH) runpath = val;
    else if (tag === DT_FLAGS_1) flags1 = val;
  }
  const info: DynamicInfo = { needed: [], flags1 };
  const wantsStrings = neededOffsets.length > 0 || soname !== undefined || rpath !== undefined || runpath !== undefined;
  if (!wantsStrings) return info;
  if (strtab === undefined || strsz === undefined) {
    throw new ElfError("ELF_NOT_ELF", `${r.path} is corrupt: its dynamic section names libraries but has no string table.`);
  }
  // DT_STRTAB is a virtual address; the PT_LOAD segment that maps it tells where it is in the file.
  const fileOffset = vaddrToOffset(strtab, phdrs, r.path);
  const strings = await r.read(fileOffset, toNumber(strsz, r.path, "string table size"), "dynamic string table");
  const str = (o: bigint) => cString(strings, toNumber(o, r.path, "string offset"));
  info.needed = neededOffsets.map(str);
  if (soname !== undefined) info.soname = str(soname);
  if (rpath !== undefined) info.rpath = str(rpath);
  if (runpath !== undefined) info.runpath = str(runpath);
  return info;
}

function vaddrToOffset(vaddr: bigint, phdrs: ProgramHeader[], path: string): number {
  for (const p of phdrs) {
    if (p.type !== PT_LOAD) continue;
    if (vaddr >= p.vaddr && vaddr < p.vaddr + BigInt(p.fileSize)) {
      return p.offset + Number(vaddr - p.vaddr);
    }
  }
  throw new ElfError("ELF_NOT_ELF", `${path} is corrupt: its string table address 0x${vaddr.toString(16)} is in no loaded segment.`);
}

function cString(buf: Buffer, start: number): string {
  if (start >= buf.length) return "";
  const end = buf.indexOf(0, start);
  return buf.toString("utf8", start, end === -1 ? buf.length : end);
}

function notElf(path: string): ElfError {
  return new ElfError("ELF_NOT_ELF", `${path} is not an ELF program (it does not start with the ELF magic bytes).`);
}

function machineName(m: number): string {
  const names: Record<number, string> = { 3: "i386", 40: "ARM", 183: "AArch64", 243: "RISC-V", 8: "MIPS", 21: "PowerPC64", 22: "s390" };
  return names[m] ?? `machine type ${m}`;
}
