// `uninode logs [-f] NAME`: a detached VM's stdout and stderr (and with --kernel, the kernel log).

import { open } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { setTimeout as sleep } from "node:timers/promises";
import { flag } from "../args.js";
import { UsageError } from "../errors.js";
import { findInstance, instanceFiles, isRunning } from "../vm/instances.js";
import type { Command } from "./command.js";

export const logsCommand: Command = {
  name: "logs",
  summary: "print a detached VM's output",
  usage: ["logs [-f] [--kernel] [--json] NAME"],
  examples: [
    { command: "uninode logs web", description: "what the program in VM web wrote: stdout to stdout, stderr to stderr" },
    { command: "uninode logs -f web", description: "keep following until the VM exits (Ctrl-C to stop following)" },
    { command: "uninode logs --json web", description: "one JSON object per line on stdout: {\"stream\": \"stdout\", \"text\": \"listening on 3000\"}" },
  ],
  notes: [
    "With --json every line of output is one JSON object on stdout, {\"stream\": \"stdout\"|\"stderr\"|\"kernel\", " +
      "\"text\": LINE}: the text is the line without its newline, decoded as UTF-8 (bytes that are not UTF-8 become " +
      "U+FFFD). A last line without a newline is printed when the VM has exited (or at once without -f). stdout and " +
      "stderr are kept in files of their own, so lines of one stream keep their order but the two are not interleaved " +
      "as they were written.",
  ],
  options: [
    { name: "follow", short: "f", description: "keep printing new output until the VM exits" },
    { name: "kernel", description: "print the kernel's log (COM3) instead of the program's output" },
    { name: "json", description: "one JSON object per line: {\"stream\", \"text\"}; a failure is {\"error\": {\"code\", \"message\"}}" },
  ],
  async run(args, ctx) {
    if (args.positionals.length !== 1) throw new UsageError("uninode logs takes one NAME; `uninode ps -a` lists them.");
    const inst = await findInstance(args.positionals[0]!, ctx.env);
    const files = instanceFiles(inst.dir);
    const json = flag(args, "json");
    const sink = (stream: string, to: NodeJS.WritableStream): Sink => (json ? new JsonLines(stream, ctx.stdout) : rawSink(to));
    const streams = flag(args, "kernel")
      ? [{ file: files.kernel, to: sink("kernel", ctx.stdout), pos: 0 }]
      : [
          { file: files.stdout, to: sink("stdout", ctx.stdout), pos: 0 },
          { file: files.stderr, to: sink("stderr", ctx.stderr), pos: 0 },
        ];
    const pump = async () => {
      for (const s of streams) s.pos += await copyFrom(s.file, s.pos, s.to);
    };
    const finish = async () => {
      for (const s of streams) await s.to.end();
    };
    await pump();
    if (!flag(args, "follow")) {
      await finish();
      return 0;
    }
    let stop = false;
    const onSignal = () => (stop = true);
    process.once("SIGINT", onSignal);
    try {
      while (!stop && (await isRunning(inst.record.pid, inst.record.id))) {
        await sleep(200);
        await pump();
      }
      await pump();
      await finish();
    } finally {
      process.off("SIGINT", onSignal);
    }
    return 0;
  },
};

/** Where a log's bytes go: as they are, or as JSON lines. */
interface Sink {
  write(chunk: Buffer): Promise<void>;
  /** No more bytes will come: a last line without its newline is printed now. */
  end(): Promise<void>;
}

function rawSink(to: NodeJS.WritableStream): Sink {
  return {
    write: async (chunk) => {
      if (!to.write(chunk)) await new Promise((r) => to.once("drain", r));
    },
    end: async () => undefined,
  };
}

/** `{"stream": NAME, "text": LINE}` per complete line; a partial line waits for its newline. */
export class JsonLines implements Sink {
  private readonly decoder = new StringDecoder("utf8");
  private pending = "";

  constructor(
    private readonly stream: string,
    private readonly to: NodeJS.WritableStream,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    const lines = (this.pending + this.decoder.write(chunk)).split("\n");
    this.pending = lines.pop()!;
    await this.emit(lines);
  }

  async end(): Promise<void> {
    const rest = this.pending + this.decoder.end();
    this.pending = "";
    if (rest !== "") await this.emit([rest]);
  }

  private async emit(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    const text = lines.map((l) => JSON.stringify({ stream: this.stream, text: l }) + "\n").join("");
    if (!this.to.write(text)) await new Promise((r) => this.to.once("drain", r));
  }
}

/** Writes the bytes of `file` from `pos` on to `to`; resolves with how many there were. */
async function copyFrom(file: string, pos: number, to: Sink): Promise<number> {
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
      await to.write(Buffer.from(buf.subarray(0, bytesRead)));
      total += bytesRead;
    }
    return total;
  } finally {
    await fh.close();
  }
}
