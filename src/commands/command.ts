// What every command module exports, and what it is given to run with. Commands write to the
// streams in the context (so tests can capture them) and return the exit status; failures are
// thrown as UninodeErrors for cli.ts to print.

import type { OptionSpec, ParsedArgs } from "../args.js";
import { Progress } from "../progress.js";

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

/** Progress and diagnostics on stderr: shown when verbose, or on a terminal outside CI; long
 * steps are live lines on such a terminal unless the command prints JSON. */
export function makeReporter(ctx: CommandContext, verbose: boolean, json = false) {
  const terminal = ctx.interactive && !ctx.env["CI"];
  const live = terminal && !json;
  const p = new Progress({ stream: ctx.stderr, live, chatty: verbose || terminal });
  return {
    /** Steps are live lines (else each is at most one plain line). */
    live,
    /** A fact worth a line of its own ("entry server.js"), or a step with nothing to count. */
    progress(message: string) {
      p.line(message);
    },
    /** Details only --verbose wants. */
    debug(message: string) {
      if (verbose) p.line(message);
    },
    /** A long step: a live line on a terminal (see src/progress.ts). */
    step: p.step,
  };
}
export type Reporter = ReturnType<typeof makeReporter>;
