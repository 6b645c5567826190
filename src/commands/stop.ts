// `uninode stop NAME...`: power a detached VM off (ACPI), and quit QEMU if it has not gone in time.

import { flag, stringOpt } from "../args.js";
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
    { command: "uninode stop --json web api", description: "prints {\"stopped\": [\"web\", \"api\"]}" },
  ],
  options: [
    { name: "time", short: "t", value: "SECONDS", description: "how long the guest has to power off before QEMU is told to quit (default 10)" },
    { name: "json", description: "print {\"stopped\": [NAME...]} on stdout; a failure is {\"error\": {\"code\", \"message\"}}" },
  ],
  async run(args, ctx) {
    if (args.positionals.length === 0) throw new UsageError("uninode stop needs a NAME; `uninode ps` lists them.");
    const t = stringOpt(args, "time") ?? "10";
    const seconds = Number(t);
    if (t.trim() === "" || !Number.isFinite(seconds) || seconds < 0) throw new UsageError(`--time expects a number of seconds, got "${t}".`);
    const json = flag(args, "json");
    for (const name of args.positionals) {
      const inst = await findInstance(name, ctx.env);
      await stopInstance(inst, seconds * 1000);
      if (!json) ctx.stdout.write(`${name}\n`);
    }
    if (json) ctx.stdout.write(JSON.stringify({ stopped: args.positionals }) + "\n");
    return 0;
  },
};
