// `uninode stop NAME...`: power a detached VM off (ACPI), and quit QEMU if it has not gone in time.

import { stringOpt } from "../args.js";
import { UsageError } from "../errors.js";
import { stopInstance } from "../vm/detached.js";
import { findInstance } from "../vm/instances.js";
import type { Command } from "./command.js";

export const stopCommand: Command = {
  name: "stop",
  summary: "stop a detached VM",
  usage: ["stop [-t SECONDS] NAME..."],
  examples: [
    { command: "uninode stop web", description: "ACPI power-off, then quit QEMU after 10 seconds if the guest has not gone" },
    { command: "uninode stop -t 0 web", description: "quit QEMU at once" },
  ],
  options: [{ name: "time", short: "t", value: "SECONDS", description: "how long the guest has to power off before QEMU is told to quit (default 10)" }],
  async run(args, ctx) {
    if (args.positionals.length === 0) throw new UsageError("uninode stop needs a NAME; `uninode ps` lists them.");
    const t = stringOpt(args, "time") ?? "10";
    const seconds = Number(t);
    if (t.trim() === "" || !Number.isFinite(seconds) || seconds < 0) throw new UsageError(`--time expects a number of seconds, got "${t}".`);
    for (const name of args.positionals) {
      const inst = await findInstance(name, ctx.env);
      await stopInstance(inst, seconds * 1000);
      ctx.stdout.write(`${name}\n`);
    }
    return 0;
  },
};
