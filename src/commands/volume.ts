// `uninode volume create|ls|inspect|rm`: named volumes, the place a VM keeps data that outlives it.

import path from "node:path";
import { flag, stringOpt, type ParsedArgs } from "../args.js";
import { UsageError } from "../errors.js";
import { describeHolder, type VolumeHolder } from "../vm/volume-locks.js";
import {
  DEFAULT_VOLUME_SIZE,
  checkRemovable,
  checkVolumeName,
  createVolume,
  findVolume,
  listVolumes,
  parseVolumeSize,
  removeVolume,
  volumeStatus,
  type VolumeStatus,
} from "../vm/volumes.js";
import type { Command, CommandContext } from "./command.js";

const SUBCOMMANDS = ["create", "ls", "inspect", "rm"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** Which options each subcommand takes (the rest are refused by name). */
const ACCEPTS: Record<Subcommand, string[]> = { create: ["size", "from", "json"], ls: ["json"], inspect: ["json"], rm: ["json"] };

export const volumeCommand: Command = {
  name: "volume",
  summary: "create, list, inspect and remove named volumes (data that outlives a VM)",
  usage: ["volume create NAME [--size SIZE] [--from DIR] [--json]", "volume ls [--json]", "volume inspect NAME [--json]", "volume rm NAME... [--json]"],
  examples: [
    { command: "uninode volume create dbdata --size 2G", description: "a 2 GiB volume (sparse: it takes host space only as it fills)" },
    { command: "uninode volume create site --from ./public", description: "a volume holding a copy of ./public" },
    { command: "uninode run -v dbdata:/var/lib/mysql mariadb", description: "attach it read-write at /var/lib/mysql (add :ro for read-only)" },
    { command: "uninode volume ls", description: "every volume: its size, the host space it takes, and the VMs using it" },
    { command: "uninode volume rm dbdata", description: "delete it and its data (refused while a VM uses it)" },
  ],
  notes: [
    "A volume is an ext4 file system in a file under $XDG_DATA_HOME/uninode/volumes (default " +
      "~/.local/share/uninode/volumes), with a journal so a VM killed at any moment leaves it consistent. It is data, " +
      "not cache: nothing prunes it, and `volume rm` is the only way it goes. The default size is 1G, the smallest 16M; " +
      "the file is sparse. Linux can check (e2fsck -fn) and mount the file to recover data.",
  ],
  options: [
    { name: "size", value: "SIZE", description: "create: the volume's size, such as 512M, 2G or 1T (default 1G, at least 16M)" },
    { name: "from", value: "DIR", description: "create: copy this directory's contents into the new volume" },
    { name: "json", description: "print JSON; a failure is {\"error\": {\"code\", \"message\"}}" },
  ],
  async run(args, ctx) {
    const sub = args.positionals[0];
    if (sub === undefined) throw new UsageError(`uninode volume needs a subcommand: ${SUBCOMMANDS.join(", ")}; see 'uninode volume --help'.`);
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
      throw new UsageError(`Unknown subcommand "${sub}" for 'uninode volume'; the subcommands are ${SUBCOMMANDS.join(", ")}.`);
    }
    const s = sub as Subcommand;
    for (const name of args.options.keys()) {
      if (!ACCEPTS[s].includes(name)) throw new UsageError(`--${name} is not an option of 'uninode volume ${s}'.`);
    }
    const rest = args.positionals.slice(1);
    if (args.passthrough !== undefined) throw new UsageError(`'uninode volume ${s}' takes nothing after --.`);
    switch (s) {
      case "create":
        return create(args, rest, ctx);
      case "ls":
        if (rest.length > 0) throw new UsageError(`uninode volume ls takes no arguments, got "${rest[0]}".`);
        return ls(args, ctx);
      case "inspect":
        if (rest.length !== 1) throw new UsageError("uninode volume inspect takes one volume NAME.");
        return inspect(args, rest[0]!, ctx);
      case "rm":
        if (rest.length === 0) throw new UsageError("uninode volume rm needs a volume NAME; `uninode volume ls` lists them.");
        return remove(args, rest, ctx);
    }
  },
};

async function create(args: ParsedArgs, rest: string[], ctx: CommandContext): Promise<number> {
  if (rest.length !== 1) throw new UsageError("uninode volume create takes one NAME, such as `uninode volume create dbdata --size 2G`.");
  const name = checkVolumeName(rest[0]!);
  const sizeOpt = stringOpt(args, "size");
  const size = sizeOpt !== undefined ? parseVolumeSize(sizeOpt) : DEFAULT_VOLUME_SIZE;
  const from = stringOpt(args, "from");
  const v = await createVolume({
    name,
    size,
    ...(from !== undefined ? { from: path.resolve(ctx.cwd, from) } : {}),
    env: ctx.env,
    ...(ctx.env["PATH"] !== undefined ? { searchPath: ctx.env["PATH"] } : {}),
  });
  ctx.stdout.write(flag(args, "json") ? JSON.stringify(toJson(await volumeStatus(v)), null, 2) + "\n" : `${v.name}\n`);
  return 0;
}

async function ls(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const all = await Promise.all((await listVolumes(ctx.env)).map(volumeStatus));
  if (flag(args, "json")) {
    ctx.stdout.write(JSON.stringify(all.map(toJson), null, 2) + "\n");
    return 0;
  }
  const rows = [
    ["NAME", "SIZE", "ON DISK", "CREATED", "ATTACHED TO"],
    ...all.map((s) => [s.volume.name, formatSize(s.volume.record.size), formatSize(s.allocated), s.volume.record.created.slice(0, 19).replace("T", " "), attachedTo(s.holders)]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  ctx.stdout.write(rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 2))).join("")).join("\n") + "\n");
  return 0;
}

async function inspect(args: ParsedArgs, name: string, ctx: CommandContext): Promise<number> {
  const s = await volumeStatus(await findVolume(name, ctx.env));
  if (flag(args, "json")) {
    ctx.stdout.write(JSON.stringify(toJson(s), null, 2) + "\n");
    return 0;
  }
  const sb = s.superblock;
  const lines: [string, string][] = [
    ["name", s.volume.name],
    ["file", s.volume.file],
    ["size", `${formatSize(s.volume.record.size)} (${formatSize(s.allocated)} on the host's disk)`],
    ["created", s.volume.record.created],
    ["format", sb ? `ext4, ${sb.blockSize}-byte blocks, features ${sb.features.join(" ")}` : "not an ext4 file system"],
    ...(sb ? ([["used", `${formatSize((sb.blocks - sb.freeBlocks) * sb.blockSize)} of ${formatSize(sb.blocks * sb.blockSize)}, ${sb.inodes - sb.freeInodes} of ${sb.inodes} inodes (as of the last unmount)`]] as [string, string][]) : []),
    ...(sb?.needsRecovery && s.holders.length === 0
      ? ([["journal", "waits to be replayed (its VM stopped without unmounting it); attach it read-write once"]] as [string, string][])
      : []),
    ...(sb?.foreign.length ? ([["problem", `not a uninode volume: ${sb.foreign.join(", ")}`]] as [string, string][]) : []),
    ["attached", attachedTo(s.holders)],
  ];
  for (const [k, v] of lines) ctx.stdout.write(`${k.padEnd(9)} ${v}\n`);
  return 0;
}

async function remove(args: ParsedArgs, names: string[], ctx: CommandContext): Promise<number> {
  // Every name is checked before any volume is removed, so a typo or a volume in use removes nothing.
  for (const name of names) await checkRemovable(name, ctx.env);
  for (const name of names) {
    await removeVolume(name, ctx.env);
    if (!flag(args, "json")) ctx.stdout.write(`${name}\n`);
  }
  if (flag(args, "json")) ctx.stdout.write(JSON.stringify({ removed: names }) + "\n");
  return 0;
}

/** `volume ls --json` and `volume inspect --json`: one object per volume. */
function toJson(s: VolumeStatus) {
  const sb = s.superblock;
  return {
    name: s.volume.name,
    file: s.volume.file,
    size: s.volume.record.size,
    allocated: s.allocated,
    created: s.volume.record.created,
    format: s.volume.record.format,
    filesystem: sb
      ? { type: "ext4", blockSize: sb.blockSize, blocks: sb.blocks, freeBlocks: sb.freeBlocks, inodes: sb.inodes, freeInodes: sb.freeInodes, label: sb.label, uuid: sb.uuid, features: sb.features, needsRecovery: sb.needsRecovery, uninodeVolume: sb.foreign.length === 0 }
      : null,
    attachedTo: s.holders.map((h) => ({ vm: h.vm ?? null, image: h.label, pid: h.pid, readOnly: h.readOnly })),
  };
}

function attachedTo(holders: VolumeHolder[]): string {
  return holders.map((h) => `${describeHolder(h)}${h.readOnly ? " (ro)" : ""}`).join(", ") || "-";
}

/** 1G, 512M, 1.5G, 48.2M, 4.0K: binary units, as --size takes them. */
export function formatSize(n: number): string {
  const units: [string, number][] = [["T", 1024 ** 4], ["G", 1024 ** 3], ["M", 1024 ** 2], ["K", 1024]];
  for (const [u, v] of units) {
    if (n >= v) {
      const x = n / v;
      return `${Number.isInteger(x) ? x : x.toFixed(1)}${u}`;
    }
  }
  return `${n}B`;
}
