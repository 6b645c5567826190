// `uninode logs [-f] NAME`: a detached VM's stdout and stderr (and with --kernel, the kernel log).

import { open } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { flag } from "../args.js";
import { UsageError } from "../errors.js";
import { findInstance, instanceFiles, isRunning } from "../vm/instances.js";
import type { Command } from "./command.js";

export const logsCommand: Command = {
  name: "logs",
  summary: "print a detached VM's output",
  usage: ["logs [-f] [--kernel] NAME"],
  examples: [
    { command: "uninode logs web", description: "what the program in VM web wrote: stdout to stdout, stderr to stderr" },
    { command: "uninode logs -f web", description: "keep following until the VM exits (Ctrl-C to stop following)" },
  ],
  options: [
    { name: "follow", short: "f", description: "keep printing new output until the VM exits" },
    { name: "kernel", description: "print the kernel's log (COM3) instead of the program's output" },
  ],
  async run(args, ctx) {
    if (args.positionals.length !== 1) throw new UsageError("uninode logs takes one NAME; `uninode ps -a` lists them.");
    const inst = await findInstance(args.positionals[0]!, ctx.env);
    const files = instanceFiles(inst.dir);
    const streams = flag(args, "kernel")
      ? [{ file: files.kernel, to: ctx.stdout, pos: 0 }]
      : [
          { file: files.stdout, to: ctx.stdout, pos: 0 },
          { file: files.stderr, to: ctx.stderr, pos: 0 },
        ];
    const pump = async () => {
      for (const s of streams) s.pos += await copyFrom(s.file, s.pos, s.to);
    };
    await pump();
    if (!flag(args, "follow")) return 0;
    let stop = false;
    const onSignal = () => (stop = true);
    process.once("SIGINT", onSignal);
    try {
      while (!stop && (await isRunning(inst.record.pid, inst.record.id))) {
        await sleep(200);
        await pump();
      }
      await pump();
    } finally {
      process.off("SIGINT", onSignal);
    }
    return 0;
  },
};

/** Writes the bytes of `file` from `pos` on to `to`; resolves with how many there were. */
async function copyFrom(file: string, pos: number, to: NodeJS.WritableStream): Promise<number> {
  let fh;
  try {
    fh = await open(file, "r");
  } catch {
    return 0;
  }
  try {
    let total = 0;
    const buf = Buffer.alloc(1 << 16);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos + total);
      if (bytesRead === 0) break;
      const chunk = Buffer.from(buf.subarray(0, bytesRead));
      if (!to.write(chunk)) await new Promise((r) => to.once("drain", r));
      total += bytesRead;
    }
    return total;
  } finally {
    await fh.close();
  }
}
