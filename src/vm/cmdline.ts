// The kernel command line's value-carrying tokens (CONTRACT.md), and its size limit: the kernel
// keeps the first 1023 bytes (boot_info.cmdline) and would silently lose the rest, so a line
// that does not fit is refused here, before QEMU starts.

import { UsageError } from "../errors.js";
import type { MachineType } from "./qemu-args.js";

/** boot_info.cmdline is 1024 bytes with its NUL. */
export const KERNEL_CMDLINE_MAX = 1023;
/** The kernel keeps at most this many env= tokens (boot_options.env). */
export const MAX_BOOT_ENV = 32;
/** What is added after the CLI's tokens: microvm's QEMU appends ` virtio_mmio.device=512@0x…:N`
 * (about 40 bytes) for each virtio device (the root disk, the NIC, each volume and host directory);
 * a detached VM gets ` stdin=null`. */
const MICROVM_DEVICE_RESERVE = 40;
const DETACHED_RESERVE = " stdin=null".length;

/** Bytes that are spaces, '%' or outside printable ASCII become %XX (the kernel's percent_decode). */
export function percentEscape(value: string): string {
  return Array.from(Buffer.from(value, "utf8"))
    .map((b) => (b > 0x20 && b < 0x7f && b !== 0x25 ? String.fromCharCode(b) : "%" + b.toString(16).padStart(2, "0")))
    .join("");
}

/** arg=VALUE tokens, in order: they replace the image's arguments (`uninode run IMAGE -- ARGS`). */
export function bootArgTokens(args: readonly string[]): string[] {
  return args.map((a) => "arg=" + percentEscape(a));
}

export interface CmdlineContext {
  machine?: MachineType | undefined;
  detached?: boolean;
  /** Virtio devices beyond the root disk and the NIC (volumes, host directories). */
  extraDevices?: number;
}

/** Throws a UsageError when `cmdline` (the CLI's part) would not reach the kernel whole. */
export function checkKernelCmdline(cmdline: string, c: CmdlineContext = {}): void {
  const envCount = cmdline.split(" ").filter((t) => t.startsWith("env=")).length;
  if (envCount > MAX_BOOT_ENV) {
    throw new UsageError(`An image's environment can be changed by at most ${MAX_BOOT_ENV} -e values at boot, got ${envCount}; build the rest into the image.`);
  }
  const microvm = c.machine === "microvm" ? (2 + (c.extraDevices ?? 0)) * MICROVM_DEVICE_RESERVE : 0;
  const room = KERNEL_CMDLINE_MAX - microvm - (c.detached ? DETACHED_RESERVE : 0);
  const length = Buffer.byteLength(cmdline, "utf8");
  if (length > room) {
    throw new UsageError(
      `The arguments after --, the -e values and the mount points take ${length} bytes on the kernel command line, which holds ${room}; shorten them, or build them into the image.`,
    );
  }
}
