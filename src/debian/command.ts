// `uninode build --debian PKG --exec PATH` and `uninode build RECIPE_DIR`: the Debian side of the
// build command, from flags or a recipe to a prepared build.

import path from "node:path";
import { listOpt, stringOpt, type ParsedArgs } from "../args.js";
import { UsageError } from "../errors.js";
import { prepareBuild, type PreparedBuild } from "../image/build.js";
import { DigestCache } from "../image/digest-cache.js";
import { findKernel } from "../kernel.js";
import { parseAddSpec } from "../image/plan.js";
import { parseAddHost } from "../commands/exec-options.js";
import type { CommandContext, Reporter } from "../commands/command.js";
import { planDebian, type DebianSpec } from "./plan.js";
import type { DebRecord } from "./apt.js";
import { absoluteMountSpec } from "../node/pack.js";
import { compileProgram } from "./programs.js";
import { loadRecipe, type Recipe } from "./recipe.js";

export interface DebianBuild {
  prepared: PreparedBuild;
  /** The lines `build` prints before the image's. */
  lines: string[];
  /** What --json adds. */
  extra: Record<string, unknown>;
}

export interface Common {
  cacheRoot: string;
  report: Reporter;
  /** The -o file (build), if any. */
  output?: string | undefined;
}

/** `build --debian PKG... --exec PATH [-e K=V] [--add H:I] [-- ARGS]`. */
export async function debianBuildFromFlags(args: ParsedArgs, ctx: CommandContext, common: Common): Promise<DebianBuild> {
  const exec = stringOpt(args, "exec");
  if (exec === undefined || exec === "") {
    throw new UsageError("--debian needs --exec PATH: the program's path inside the packages, such as --exec /usr/sbin/nginx.");
  }
  if (!exec.startsWith("/")) throw new UsageError(`With --debian, --exec is the program's absolute path inside the packages (such as /usr/bin/${exec}), got "${exec}".`);
  if (args.positionals.length > 0) throw new UsageError(`Unexpected argument "${args.positionals[0]}"; the program's arguments go after --.`);
  if (stringOpt(args, "node") !== undefined) throw new UsageError("--node is for Node app directories, not --debian.");
  if (listOpt(args, "lib").length > 0) throw new UsageError("--lib is not needed with --debian: every file of every package is in the image.");
  if (common.output === undefined && stringOpt(args, "tag") === undefined) throw new UsageError("uninode build --debian needs -o IMAGE (the file to write) or --tag NAME.");
  const hosts = listOpt(args, "add-host").map(parseAddHost);
  const spec: DebianSpec = {
    packages: listOpt(args, "debian"),
    exec,
    args: args.passthrough ?? [],
    env: listOpt(args, "env"),
    adds: listOpt(args, "add"),
    baseDir: ctx.cwd,
    cacheRoot: common.cacheRoot,
    ...(hosts.length > 0 ? { hosts } : {}),
    ...(ctx.env["PATH"] !== undefined ? { searchPath: ctx.env["PATH"] } : {}),
    progress: common.report.progress,
  };
  return prepareDebian(spec, ctx, common);
}

/** Plans, hashes and keys the image (nothing is written yet: the cache may have it). */
export async function prepareDebian(spec: DebianSpec, ctx: CommandContext, common: Common): Promise<DebianBuild> {
  const { plan, packages } = await planDebian(spec);
  const digestCache = await DigestCache.open(common.cacheRoot);
  const prepared = await prepareBuild(plan, await findKernel(ctx.env), { digestCache, step: common.report.step });
  await digestCache.save();
  return {
    prepared,
    lines: [`exec     ${spec.exec}`, `packages ${summarize(packages, spec.packages.map((p) => p.replace(/:.*/, "")))}`],
    extra: { exec: spec.exec, packages: packages.map((p) => ({ name: p.name, version: p.version, arch: p.arch, sha256: p.sha256 })) },
  };
}

/** "hello 2.10-3 and 4 more (dependencies, base-passwd)": the packages asked for first. */
function summarize(pkgs: readonly DebRecord[], wanted: readonly string[]): string {
  const named = pkgs.filter((p) => wanted.includes(p.name));
  const others = pkgs.length - named.length;
  return `${named.map((p) => `${p.name} ${p.version}`).join(", ")}${others > 0 ? ` and ${others} more (dependencies, base-passwd)` : ""}`;
}


/** `build RECIPE_DIR [-e K=V] [--add H:I]`: the recipe's packages, program, files and users. */
export async function debianBuildFromRecipe(dir: string, args: ParsedArgs, ctx: CommandContext, common: Common): Promise<DebianBuild & { recipe: Recipe }> {
  for (const name of ["exec", "node", "lib"]) {
    if (args.options.has(name)) throw new UsageError(`--${name} does not go with a recipe directory: the recipe's uninode.json says what to run.`);
  }
  if (args.passthrough !== undefined) throw new UsageError("Arguments after -- do not go with a recipe; its arguments are its \"args\" (or give them to `uninode run IMAGE -- ARGS`).");
  // The recipe's files are relative to it, --add's to where the user is.
  const adds = listOpt(args, "add").map((a) => {
    const { host, image } = parseAddSpec(a);
    return `${path.resolve(ctx.cwd, host)}:${image}`;
  });
  return prepareRecipe(dir, ctx, common, { env: listOpt(args, "env"), adds, hosts: listOpt(args, "add-host").map(parseAddHost) });
}

/** A recipe directory's image, prepared (`build DIR`, `run DIR`); `extra` comes from the command line. */
export async function prepareRecipe(
  dir: string,
  ctx: CommandContext,
  common: Common,
  extra: { env?: string[]; adds?: string[]; hosts?: [string, string][] } = {},
): Promise<DebianBuild & { recipe: Recipe }> {
  const label = dir;
  const abs = path.resolve(ctx.cwd, dir);
  const recipe = await loadRecipe(abs, label);
  const generated = [];
  for (const [imagePath, src] of Object.entries(recipe.programs ?? {})) {
    common.report.progress(`compiling ${path.join(label, src)} for ${imagePath}`);
    generated.push(await compileProgram(imagePath, path.resolve(abs, src), path.join(label, src), common.cacheRoot, ctx.env["PATH"]));
  }
  const hosts = [...Object.entries(recipe.hosts ?? {}), ...(extra.hosts ?? [])];
  const spec: DebianSpec = {
    packages: recipe.debian,
    exec: recipe.exec,
    args: recipe.args ?? [],
    env: [...Object.entries(recipe.env ?? {}).map(([k, v]) => `${k}=${v}`), ...(extra.env ?? [])],
    adds: [...(recipe.files ?? []), ...(extra.adds ?? [])],
    baseDir: abs,
    generated,
    cacheRoot: common.cacheRoot,
    usersLabel: `${recipe.file}: "users"`,
    ...(recipe.users !== undefined ? { users: recipe.users } : {}),
    ...(recipe.cwd !== undefined ? { cwd: recipe.cwd } : {}),
    ...(hosts.length > 0 ? { hosts } : {}),
    ...(ctx.env["PATH"] !== undefined ? { searchPath: ctx.env["PATH"] } : {}),
    progress: common.report.progress,
    meta: {
      ...(recipe.ports !== undefined ? { ports: recipe.ports } : {}),
      ...(recipe.memory !== undefined ? { memory: recipe.memory } : {}),
      ...(recipe.cpus !== undefined ? { cpus: recipe.cpus } : {}),
      ...(recipe.network !== undefined ? { network: recipe.network } : {}),
      ...(recipe.volumes !== undefined ? { volumes: recipe.volumes.map((v) => absoluteMountSpec(v, abs)) } : {}),
      ...(recipe.readOnly !== undefined ? { readOnly: recipe.readOnly } : {}),
    },
  };
  const r = await prepareDebian(spec, ctx, common);
  return { ...r, lines: [`recipe   ${recipe.file}`, ...r.lines], extra: { recipe: recipe.file, ...r.extra }, recipe };
}
