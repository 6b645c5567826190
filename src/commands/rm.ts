// `uninode rm NAME...`: forget an exited detached VM, its logs included (-f stops a running one).

import { rm } from "node:fs/promises";
import { flag } from "../args.js";
import { UsageError } from "../errors.js";
import { stopInstance } from "../vm/detached.js";
import { InstanceError, findInstance } from "../vm/instances.js";
import type { Command } from "./command.js";

export const rmCommand: Command = {
  name: "rm",
  summary: "remove a detached VM that has exited, with its logs",
  usage: ["rm [-f] NAME..."],
  examples: [
    { command: "uninode rm web", description: "remove the exited VM web and its logs" },
    { command: "uninode rm -f web", description: "stop it first if it is still running" },
    { command: "uninode rm --json web", description: "prints {\"removed\": [\"web\"]}" },
  ],
  options: [
    { name: "force", short: "f", description: "stop a running VM (at once) before removing it" },
    { name: "json", description: "print {\"removed\": [NAME...]} on stdout; a failure is {\"error\": {\"code\", \"message\"}}" },
  ],
  async run(args, ctx) {
    if (args.positionals.length === 0) throw new UsageError("uninode rm needs a NAME; `uninode ps -a` lists them.");
    for (const name of args.positionals) {
      const inst = await findInstance(name, ctx.env);
      if (inst.state === "running") {
        if (!flag(args, "force")) {
          throw new InstanceError("INSTANCE_RUNNING", `${name} is still running; stop it first (uninode stop ${name}) or use uninode rm -f ${name}.`);
        }
        await stopInstance(inst, 0);
      }
      await rm(inst.dir, { recursive: true, force: true });
      if (!flag(args, "json")) ctx.stdout.write(`${name}\n`);
    }
    if (flag(args, "json")) ctx.stdout.write(JSON.stringify({ removed: args.positionals }) + "\n");
    return 0;
  },
};
