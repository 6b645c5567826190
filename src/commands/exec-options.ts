// The options `run` and `build` share for describing a program image: --exec, -e, --add, --add-host, --lib.

import { isIP } from "node:net";
import { listOpt, stringOpt, type OptionSpec, type ParsedArgs } from "../args.js";
import { UsageError } from "../errors.js";
import { isHostName, isLibrarySpec } from "../node/config.js";
import type { ExecSpec } from "../image/plan.js";
import type { CommandContext } from "./command.js";

export const EXEC_OPTIONS: OptionSpec[] = [
  { name: "exec", value: "PROGRAM", description: "run this Linux x86-64 program (a path, or a name on PATH); its arguments go after --" },
  { name: "env", short: "e", value: "KEY=VALUE", repeatable: true, description: "set an environment variable for the program (repeatable)" },
  { name: "add", value: "HOSTPATH:IMAGEPATH", repeatable: true, description: "copy a host file or directory into the image (repeatable)" },
  { name: "add-host", value: "NAME:ADDRESS", repeatable: true, description: "add a line to the image's /etc/hosts, as docker run --add-host does (repeatable)" },
  { name: "lib", value: "NAME|PATH", repeatable: true, description: "add a library the program opens with dlopen, with its own libraries: a name found as the loader finds it (libnss_dns.so.2) or an absolute host path (repeatable)" },
];

/** The ExecSpec the flags describe, or undefined when there is no --exec. */
export function execSpecFrom(args: ParsedArgs, ctx: CommandContext, command: string): ExecSpec | undefined {
  const program = stringOpt(args, "exec");
  if (program === undefined) {
    for (const name of ["env", "add", "add-host", "lib"]) {
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
  const hosts = listOpt(args, "add-host").map(parseAddHost);
  if (hosts.length > 0) spec.hosts = hosts;
  const libs = listOpt(args, "lib");
  for (const lib of libs) {
    if (!isLibrarySpec(lib)) throw new UsageError(`--lib expects a library name such as libz.so.1 or an absolute host path, got "${lib}".`);
  }
  if (libs.length > 0) spec.libs = libs;
  if (ctx.env["PATH"] !== undefined) spec.searchPath = ctx.env["PATH"];
  return spec;
}

/** --add-host NAME:ADDRESS (the first ':' ends the name, so an IPv6 address needs no brackets). */
export function parseAddHost(value: string): [string, string] {
  const at = value.indexOf(":");
  if (at <= 0) throw new UsageError(`--add-host expects NAME:ADDRESS such as db.internal:10.0.2.2, got "${value}".`);
  const name = value.slice(0, at);
  const addr = value.slice(at + 1).replace(/^\[(.*)\]$/, "$1");
  if (!isHostName(name)) throw new UsageError(`--add-host ${value}: "${name}" is not a host name; use letters, digits, hyphens and dots.`);
  if (isIP(addr) === 0) throw new UsageError(`--add-host ${value}: "${addr}" is not an IPv4 or IPv6 address.`);
  return [name, addr];
}

/** The rule for arguments after --, said in `run --help` and `build --help`. */
export const ARGUMENT_FILES_NOTE =
  "Arguments after -- that name an existing host file are copied into the image so the program finds them: " +
  "a relative path to /app/PATH (the program's working directory in the VM is /app, so the same word names it there), " +
  "an absolute path to the same path, unless the image already has a file there (the program, its libraries, " +
  "uninode's /etc files, an --add). Words starting with - are never files; directories, and paths under " +
  "/tmp, /run, /dev, /proc and /sys, are not copied: use --add HOSTPATH:IMAGEPATH for them.";
