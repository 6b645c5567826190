// `uninode network create|ls|inspect|rm`: private networks, Ethernet segments that join VMs
// (`run --network NAME`) without root.

import { flag, stringOpt, type ParsedArgs } from "../args.js";
import { UsageError } from "../errors.js";
import {
  checkNetworkName,
  checkNetworkRemovable,
  createNetwork,
  describeMember,
  findNetwork,
  hostRange,
  ip4Text,
  listNetworks,
  memberNames,
  networkMembers,
  parseSubnet,
  removeNetwork,
  type Lease,
  type Network,
} from "../vm/networks.js";
import type { Command, CommandContext } from "./command.js";

const SUBCOMMANDS = ["create", "ls", "inspect", "rm"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

const ACCEPTS: Record<Subcommand, string[]> = { create: ["subnet", "json"], ls: ["json"], inspect: ["json"], rm: ["json"] };

export const networkCommand: Command = {
  name: "network",
  summary: "create, list, inspect and remove private networks between VMs",
  usage: ["network create NAME [--subnet CIDR] [--json]", "network ls [--json]", "network inspect NAME [--json]", "network rm NAME... [--json]"],
  examples: [
    { command: "uninode network create backend", description: "a private network (the first free of 10.89.0.0/24, 10.89.1.0/24, ...)" },
    { command: "uninode network create lab --subnet 192.168.50.0/24", description: "one with the subnet you choose" },
    { command: "uninode run -d --name db --network backend mariadb", description: "a VM on it: the others on backend reach it as db" },
    { command: "uninode network inspect backend", description: "its subnet and the VMs on it, with their addresses and names" },
    { command: "uninode network rm backend", description: "remove it (refused while a VM is on it)" },
  ],
  notes: [
    "A VM on a private network has a second NIC on it, beside its first (QEMU's user network, which publishes ports " +
      "with -p and reaches out). The CLI gives it the lowest free address of the subnet (from the network's second " +
      "address; --ip chooses one) and every VM on the network resolves the others' --name and --network-alias " +
      "through /etc/hosts. Networks are isolated from each other. The segment is a multicast group on the host's " +
      "loopback: it needs no root, and nothing on it leaves the host; other users of the host could join it.",
    "State lives under $XDG_DATA_HOME/uninode/networks (default ~/.local/share/uninode/networks).",
  ],
  options: [
    { name: "subnet", value: "CIDR", description: "create: the network's IPv4 subnet, such as 10.89.0.0/24 (a /8 to a /29)" },
    { name: "json", description: "print JSON; a failure is {\"error\": {\"code\", \"message\"}}" },
  ],
  async run(args, ctx) {
    const sub = args.positionals[0];
    if (sub === undefined) throw new UsageError(`uninode network needs a subcommand: ${SUBCOMMANDS.join(", ")}; see 'uninode network --help'.`);
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
      throw new UsageError(`Unknown subcommand "${sub}" for 'uninode network'; the subcommands are ${SUBCOMMANDS.join(", ")}.`);
    }
    const s = sub as Subcommand;
    for (const name of args.options.keys()) {
      if (!ACCEPTS[s].includes(name)) throw new UsageError(`--${name} is not an option of 'uninode network ${s}'.`);
    }
    const rest = args.positionals.slice(1);
    if (args.passthrough !== undefined) throw new UsageError(`'uninode network ${s}' takes nothing after --.`);
    switch (s) {
      case "create":
        return create(args, rest, ctx);
      case "ls":
        if (rest.length > 0) throw new UsageError(`uninode network ls takes no arguments, got "${rest[0]}".`);
        return ls(args, ctx);
      case "inspect":
        if (rest.length !== 1) throw new UsageError("uninode network inspect takes one network NAME.");
        return inspect(args, rest[0]!, ctx);
      case "rm":
        if (rest.length === 0) throw new UsageError("uninode network rm needs a network NAME; `uninode network ls` lists them.");
        return remove(args, rest, ctx);
    }
  },
};

async function create(args: ParsedArgs, rest: string[], ctx: CommandContext): Promise<number> {
  if (rest.length !== 1) throw new UsageError("uninode network create takes one NAME, such as `uninode network create backend`.");
  const name = checkNetworkName(rest[0]!);
  const subnetOpt = stringOpt(args, "subnet");
  const n = await createNetwork({ name, ...(subnetOpt !== undefined ? { subnet: parseSubnet(subnetOpt) } : {}), env: ctx.env });
  ctx.stdout.write(flag(args, "json") ? JSON.stringify(toJson(n, []), null, 2) + "\n" : `${n.name}\n`);
  return 0;
}

async function ls(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const all = await Promise.all((await listNetworks(ctx.env)).map(async (n) => ({ n, members: await networkMembers(n) })));
  if (flag(args, "json")) {
    ctx.stdout.write(JSON.stringify(all.map(({ n, members }) => toJson(n, members)), null, 2) + "\n");
    return 0;
  }
  const rows = [
    ["NAME", "SUBNET", "CREATED", "VMS"],
    ...all.map(({ n, members }) => [n.name, n.record.subnet, n.record.created.slice(0, 19).replace("T", " "), members.map(memberLabel).join(", ") || "-"]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  ctx.stdout.write(rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 2))).join("")).join("\n") + "\n");
  return 0;
}

async function inspect(args: ParsedArgs, name: string, ctx: CommandContext): Promise<number> {
  const n = await findNetwork(name, ctx.env);
  const members = await networkMembers(n);
  if (flag(args, "json")) {
    ctx.stdout.write(JSON.stringify(toJson(n, members), null, 2) + "\n");
    return 0;
  }
  const { first, last } = hostRange(n.subnet);
  const lines: [string, string][] = [
    ["name", n.name],
    ["subnet", `${n.record.subnet} (VMs get ${ip4Text(first)} to ${ip4Text(last)})`],
    ["segment", `multicast ${n.record.group} port ${n.record.port} on 127.0.0.1`],
    ["created", n.record.created],
    ["vms", members.length === 0 ? "-" : ""],
  ];
  for (const [k, v] of lines) ctx.stdout.write(`${k.padEnd(8)} ${v}`.trimEnd() + "\n");
  for (const m of members) ctx.stdout.write(`  ${m.address.padEnd(15)} ${memberNames(m).join(" ") || "(no name)"}  ${describeMember(m)}\n`);
  return 0;
}

async function remove(args: ParsedArgs, names: string[], ctx: CommandContext): Promise<number> {
  // Every name is checked before any is removed, so a typo or a network in use removes nothing.
  for (const name of names) await checkNetworkRemovable(name, ctx.env);
  for (const name of names) {
    await removeNetwork(name, ctx.env);
    if (!flag(args, "json")) ctx.stdout.write(`${name}\n`);
  }
  if (flag(args, "json")) ctx.stdout.write(JSON.stringify({ removed: names }) + "\n");
  return 0;
}

function memberLabel(m: Lease): string {
  return `${memberNames(m)[0] ?? describeMember(m)} (${m.address})`;
}

/** `network ls --json` and `network inspect --json`: one object per network. */
function toJson(n: Network, members: Lease[]) {
  return {
    name: n.name,
    subnet: n.record.subnet,
    segment: { kind: "multicast", group: n.record.group, port: n.record.port, localAddress: "127.0.0.1" },
    created: n.record.created,
    format: n.record.format,
    vms: members.map((m) => ({ address: m.address, vm: m.vm ?? null, aliases: m.aliases, image: m.label, pid: m.pid })),
  };
}
