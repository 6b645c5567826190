// `uninode ps`: the detached VMs, running ones (or all with -a), as a table or JSON.

import { flag, stringOpt } from "../args.js";
import { UsageError } from "../errors.js";
import { age, describeState, formatForward, listInstances, type Instance } from "../vm/instances.js";
import type { Command } from "./command.js";

export const psCommand: Command = {
  name: "ps",
  summary: "list detached VMs started with `uninode run -d`",
  usage: ["ps [-a] [--output table|json] [--json]"],
  examples: [
    { command: "uninode ps", description: "the running VMs" },
    { command: "uninode ps -a --output json", description: "every VM, exited ones too, as JSON for scripts" },
  ],
  options: [
    { name: "all", short: "a", description: "show exited VMs too" },
    { name: "output", value: "table|json", description: "the format (default table)" },
    { name: "json", description: "the same as --output json: an array of {name, image, state, status, exitCode, pid, ports, mounts, networks, memory, cpus, created}" },
  ],
  async run(args, ctx) {
    const output = stringOpt(args, "output") ?? (flag(args, "json") ? "json" : "table");
    if (flag(args, "json") && output !== "json") throw new UsageError(`--json and --output ${output} disagree; give one of them.`);
    if (output !== "table" && output !== "json") throw new UsageError(`--output expects table or json, got "${output}".`);
    if (args.positionals.length > 0) throw new UsageError(`uninode ps takes no arguments, got "${args.positionals[0]}".`);
    const all = await listInstances(ctx.env);
    const shown = flag(args, "all") ? all : all.filter((i) => i.state === "running");
    if (output === "json") {
      ctx.stdout.write(JSON.stringify(shown.map(toJson), null, 2) + "\n");
      return 0;
    }
    ctx.stdout.write(table(shown));
    return 0;
  },
};

function toJson(i: Instance) {
  return {
    name: i.record.name,
    image: i.record.imageLabel,
    state: i.state,
    status: describeState(i),
    exitCode: i.exit?.kind === "exit" ? i.exit.code : null,
    pid: i.state === "running" ? i.record.pid : null,
    ports: i.record.ports.map(formatForward),
    mounts: i.record.mounts ?? [],
    networks: i.record.networks ?? [],
    memory: i.record.memory,
    cpus: i.record.cpus,
    created: i.record.created,
  };
}

/** The MOUNTS column appears only when some VM listed has a volume or host directory. */
function table(list: Instance[]): string {
  const mounts = list.some((i) => (i.record.mounts ?? []).length > 0);
  const rows = [
    ["NAME", "IMAGE", "STATUS", "PORTS", ...(mounts ? ["MOUNTS"] : []), "CREATED"],
    ...list.map((i) => [
      i.record.name,
      i.record.imageLabel,
      describeState(i),
      i.record.ports.map(formatForward).join(", ") || "-",
      ...(mounts ? [(i.record.mounts ?? []).join(", ") || "-"] : []),
      `${age(i.record.created)} ago`,
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 2))).join("")).join("\n") + "\n";
}
