// The options `run` and `build` share for describing a program image: --exec, -e, --add.

import { listOpt, stringOpt, type OptionSpec, type ParsedArgs } from "../args.js";
import { UsageError } from "../errors.js";
import type { ExecSpec } from "../image/plan.js";
import type { CommandContext } from "./command.js";

export const EXEC_OPTIONS: OptionSpec[] = [
  { name: "exec", value: "PROGRAM", description: "run this Linux x86-64 program (a path, or a name on PATH); its arguments go after --" },
  { name: "env", short: "e", value: "KEY=VALUE", repeatable: true, description: "set an environment variable for the program (repeatable)" },
  { name: "add", value: "HOSTPATH:IMAGEPATH", repeatable: true, description: "copy a host file or directory into the image (repeatable)" },
];

/** The ExecSpec the flags describe, or undefined when there is no --exec. */
export function execSpecFrom(args: ParsedArgs, ctx: CommandContext, command: string): ExecSpec | undefined {
  const program = stringOpt(args, "exec");
  if (program === undefined) {
    for (const name of ["env", "add"]) {
      if (listOpt(args, name).length > 0) {
        throw new UsageError(`--${name === "env" ? "env/-e" : name} needs --exec: an image's files and environment are fixed when it is built.`);
      }
    }
    return undefined;
  }
  if (program === "") throw new UsageError(`--exec needs a program; see 'uninode ${command} --help'.`);
  const spec: ExecSpec = {
    program,
    args: args.passthrough ?? [],
    env: listOpt(args, "env"),
    adds: listOpt(args, "add"),
    baseDir: ctx.cwd,
  };
  if (ctx.env["PATH"] !== undefined) spec.searchPath = ctx.env["PATH"];
  return spec;
}

/** The rule for arguments after --, said in `run --help` and `build --help`. */
export const ARGUMENT_FILES_NOTE =
  "Arguments after -- that name an existing host file are copied into the image so the program finds them: " +
  "a relative path to /app/PATH (the program's working directory in the VM is /app, so the same word names it there), " +
  "an absolute path to the same path, unless the image already has a file there (the program, its libraries, " +
  "uninode's /etc files, an --add). Words starting with - are never files; directories, and paths under " +
  "/tmp, /dev, /proc and /sys, are not copied: use --add HOSTPATH:IMAGEPATH for them.";
