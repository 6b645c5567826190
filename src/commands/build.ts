// `uninode build`: write an image file for a program.

import { stat } from "node:fs/promises";
import path from "node:path";
import { flag, stringOpt } from "../args.js";
import { UninodeError, UsageError } from "../errors.js";
import { prepareBuild, writeBuild } from "../image/build.js";
import { isImageFile } from "../image/image.js";
import { planExec } from "../image/plan.js";
import { findKernel } from "../kernel.js";
import { makeReporter, type Command } from "./command.js";
import { ARGUMENT_FILES_NOTE, EXEC_OPTIONS, execSpecFrom } from "./exec-options.js";

export const buildCommand: Command = {
  name: "build",
  summary: "build a bootable image file for a program",
  usage: ["build --exec PROGRAM -o IMAGE [OPTIONS] [-- ARGS...]"],
  examples: [
    { command: "uninode build --exec ./hello -o hello.img", description: "an image that runs ./hello with its shared libraries" },
    { command: "uninode build --exec ls -o ls.img -- -la /", description: "`ls -la /` as the image's fixed command" },
    { command: "uninode build --exec node --add ./app:/app -o app.img -- /app/server.js", description: "node with an app directory" },
  ],
  notes: [ARGUMENT_FILES_NOTE],
  options: [
    ...EXEC_OPTIONS,
    { name: "output", short: "o", value: "IMAGE", description: "where to write the image (an existing file is replaced only if it is a uninode image)" },
    { name: "verbose", description: "say what is being done" },
  ],
  async run(args, ctx) {
    const report = makeReporter(ctx, flag(args, "verbose"));
    if (args.positionals.length > 0) {
      throw new UsageError(`Unexpected argument "${args.positionals[0]}"; the program's arguments go after --.`);
    }
    const spec = execSpecFrom(args, ctx, "build");
    if (!spec) throw new UsageError("uninode build needs --exec PROGRAM; see 'uninode build --help'.");
    const out = stringOpt(args, "output");
    if (out === undefined || out === "") throw new UsageError("uninode build needs -o IMAGE, the file to write.");
    const output = path.resolve(ctx.cwd, out);
    await checkOutput(output, out);

    report.progress(`resolving ${spec.program} and its libraries`);
    // The user's own mistakes first (program, flags), then ours (a missing kernel build).
    const plan = await planExec(spec);
    const kernel = await findKernel(ctx.env);
    const prepared = await prepareBuild(plan, kernel);
    report.progress(`writing ${out}`);
    const result = await writeBuild(prepared, output);
    const size = (await stat(output)).size;
    report.progress(`wrote ${out} (${(size / 1048576).toFixed(1)} MiB, ${prepared.entries.filter((e) => e.type === "file").length} files)`);
    report.debug(`content key ${result.key}`);
    return 0;
  },
};

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
