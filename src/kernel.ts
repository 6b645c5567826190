// Finding the kernel the image will carry: $UNINODE_KERNEL, else build/kernel.elf in the package
// root (what `npm run build:kernel` produces).

import { stat } from "node:fs/promises";
import path from "node:path";
import { UninodeError } from "./errors.js";
import { readElf } from "./image/elf.js";
import { packageRoot } from "./paths.js";

export class KernelNotFoundError extends UninodeError {}

/** The kernel's path; throws a one-sentence error saying how to get one when it is missing. */
export async function findKernel(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = env["UNINODE_KERNEL"];
  if (fromEnv !== undefined && fromEnv !== "") {
    const abs = path.resolve(fromEnv);
    if (!(await isFile(abs))) {
      throw new KernelNotFoundError("KERNEL_NOT_FOUND", `UNINODE_KERNEL names ${fromEnv}, which is not a file.`);
    }
    return abs;
  }
  const built = path.join(packageRoot(), "build", "kernel.elf");
  if (!(await isFile(built))) {
    throw new KernelNotFoundError(
      "KERNEL_NOT_FOUND",
      `The kernel was not found at build/kernel.elf; run \`npm run build:kernel\` or set UNINODE_KERNEL to a kernel.elf.`,
    );
  }
  return built;
}

/** The kernel must be an x86-64 ELF64 for QEMU's PVH direct boot; say so if it is not. */
export async function checkKernel(kernelPath: string): Promise<void> {
  try {
    await readElf(kernelPath);
  } catch (err) {
    if (err instanceof UninodeError) {
      throw new UninodeError("KERNEL_INVALID", `The kernel ${kernelPath} is not usable: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}
