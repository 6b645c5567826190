#!/usr/bin/env node
// The `uninode` command: picks the command, parses its options, runs it, and is the only place
// that prints errors and sets the exit status (2 for usage errors, the error's own status for
// the rest). A stack trace is shown only with UNINODE_DEBUG=1.

import { realpath } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { formatOptions, parseArgs } from "./args.js";
import { buildCommand } from "./commands/build.js";
import type { Command, CommandContext } from "./commands/command.js";
import { inspectCommand } from "./commands/inspect.js";
import { logsCommand } from "./commands/logs.js";
import { psCommand } from "./commands/ps.js";
import { rmCommand } from "./commands/rm.js";
import { runCommand } from "./commands/run.js";
import { stopCommand } from "./commands/stop.js";
import { volumeCommand } from "./commands/volume.js";
import { networkCommand } from "./commands/network.js";
import { UninodeError, UsageError } from "./errors.js";
import { uninodeVersion } from "./paths.js";
import { cancelLiveSteps } from "./progress.js";

const COMMANDS: readonly Command[] = [runCommand, buildCommand, psCommand, logsCommand, stopCommand, rmCommand, inspectCommand, volumeCommand, networkCommand];

function globalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    "uninode — run unmodified Linux x86-64 programs as unikernel VM images",
    "",
    "Usage: uninode COMMAND [OPTIONS]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "Run 'uninode COMMAND --help' for a command's options and examples.",
    "",
  ].join("\n");
}

function commandHelp(c: Command): string {
  return [
    `uninode ${c.name} — ${c.summary}`,
    "",
    "Usage:",
    ...c.usage.map((u) => `  uninode ${u}`),
    "",
    ...(c.notes ?? []).flatMap((n) => [...wrap(n, 96).map((l) => `  ${l}`), ""]),
    "Options:",
    formatOptions([...c.options, { name: "help", short: "h", description: "show this help" }]),
    "",
    "Examples:",
    ...c.examples.flatMap((e) => [`  ${e.command}`, `      ${e.description}`]),
    "",
  ].join("\n");
}

/** Splits a paragraph into lines of at most `width` characters, at spaces. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (word === "") continue;
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}

/** Runs the CLI on `argv` (without node and the script); resolves with the exit status. */
export async function main(argv: readonly string[], ctx: CommandContext): Promise<number> {
  let json = false;
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      const topic = name === "help" ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
      ctx.stdout.write(topic ? commandHelp(topic) : globalHelp());
      return name === undefined ? 2 : 0;
    }
    if (name === "--version" || name === "-V") {
      ctx.stdout.write(`uninode ${uninodeVersion()}\n`);
      return 0;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) {
      throw new UsageError(
        name.startsWith("-")
          ? `Unknown option ${name}; put it after a command (${COMMANDS.map((c) => c.name).join(", ")}).`
          : `Unknown command "${name}"; the commands are ${COMMANDS.map((c) => c.name).join(", ")}.`,
      );
    }
    // --help anywhere before `--` asks for help, even among otherwise wrong options.
    const dashdash = rest.indexOf("--");
    const own = dashdash === -1 ? rest : rest.slice(0, dashdash);
    json = wantsJson(command, own);
    if (own.includes("--help") || own.includes("-h")) {
      ctx.stdout.write(commandHelp(command));
      return 0;
    }
    return await command.run(parseArgs(rest, command.options, command.name), ctx);
  } catch (err) {
    return report(err, ctx, json);
  }
}

/** --json (or ps's --output json) among a command's own words, even ones that fail to parse:
 * then a failure is also reported as JSON, so a script always gets a document on stdout. */
function wantsJson(command: Command, own: readonly string[]): boolean {
  if (!command.options.some((o) => o.name === "json")) return false;
  return own.some((w, i) => w === "--json" || w === "--output=json" || (w === "--output" && own[i + 1] === "json"));
}

function report(err: unknown, ctx: CommandContext, json: boolean): number {
  cancelLiveSteps();
  const debug = ctx.env["UNINODE_DEBUG"] === "1";
  if (json) {
    const error = err instanceof UninodeError ? { code: err.code, message: err.message } : { code: "INTERNAL", message: err instanceof Error ? err.message : String(err) };
    // Ctrl-C has no message; scripts still get the reason.
    if (error.message === "" && err instanceof UninodeError && err.code === "INTERRUPTED") error.message = "Interrupted.";
    ctx.stdout.write(JSON.stringify({ error }) + "\n");
  }
  if (err instanceof UninodeError) {
    if (err.message !== "") ctx.stderr.write(`uninode: ${err.message}\n`);
    if (debug) ctx.stderr.write(`${err.stack ?? ""}\n${err.cause ? `caused by: ${String((err.cause as Error).stack ?? err.cause)}\n` : ""}`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  ctx.stderr.write(
    debug
      ? `uninode: internal error: ${err instanceof Error ? err.stack : message}\n`
      : `uninode: internal error: ${message} (set UNINODE_DEBUG=1 for details).\n`,
  );
  return 1;
}

/** True when this module is the process's entry point (also through npm's bin symlink). */
async function isEntryPoint(): Promise<boolean> {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return (await realpath(entry)) === (await realpath(fileURLToPath(import.meta.url)));
  } catch {
    return false;
  }
}

if (await isEntryPoint()) {
  // A reader that went away (`uninode inspect --json x | head`) ends our output, not with a trace.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  });
  const code = await main(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    interactive: process.stderr.isTTY === true,
  });
  process.exitCode = code;
  // Nothing may keep the process alive after the command is done (a paused stdin can on a TTY).
  if (process.stdin.isTTY) process.stdin.destroy();
}
