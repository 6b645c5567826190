// What every command module exports, and what it is given to run with. Commands write to the
// streams in the context (so tests can capture them) and return the exit status; failures are
// thrown as UninodeErrors for cli.ts to print.

import type { OptionSpec, ParsedArgs } from "../args.js";

export interface Example {
  command: string;
  description: string;
}

export interface CommandContext {
  stdin: NodeJS.ReadStream | NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** stderr is an interactive terminal (progress and the accelerator line are shown there). */
  interactive: boolean;
}

export interface Command {
  name: string;
  summary: string;
  /** Usage lines without the leading "uninode ". */
  usage: string[];
  examples: Example[];
  /** Paragraphs of rules the options alone do not say, printed between usage and options. */
  notes?: string[];
  options: OptionSpec[];
  run(args: ParsedArgs, ctx: CommandContext): Promise<number>;
}

/** Progress and diagnostics on stderr: shown when verbose, or on a terminal outside CI. */
export function makeReporter(ctx: CommandContext, verbose: boolean) {
  const chatty = verbose || (ctx.interactive && !ctx.env["CI"]);
  return {
    /** A step of long work ("building image ..."). */
    progress(message: string) {
      if (chatty) ctx.stderr.write(`uninode: ${message}\n`);
    },
    /** Details only --verbose wants. */
    debug(message: string) {
      if (verbose) ctx.stderr.write(`uninode: ${message}\n`);
    },
  };
}
export type Reporter = ReturnType<typeof makeReporter>;
