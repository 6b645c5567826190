// `uninode run`: boot a program (built into the cache first) or an image file.

import { randomBytes } from "node:crypto";
import { stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { flag, listOpt, stringOpt, type ParsedArgs } from "../args.js";
import { UninodeError, UsageError } from "../errors.js";
import { imageForTag } from "../images.js";
import type { ManifestMeta } from "../image/manifest.js";
import { cacheDir } from "../paths.js";
import { checkHostPorts } from "../vm/ports.js";
import { checkTap, parseNetwork, type NetworkChoice } from "../vm/network.js";
import { Membership } from "../vm/join-networks.js";
import { imageNetwork, ipToken } from "../vm/ip-token.js";
import { runNetwork } from "../vm/run-network.js";
import { bootArgTokens, checkKernelCmdline, percentEscape } from "../vm/cmdline.js";
import { checkName, formatForward, type InstanceRecord } from "../vm/instances.js";
import { checkMachineRoom, formatMount, mergeMounts, parseMountSpec, planMounts, resolveMounts, type Mount, type MountPlan, type MountSpec } from "../vm/mounts.js";
import { checkVolumeDisk, findVolume, volumesDir } from "../vm/volumes.js";
import { processStart, VolumeLock } from "../vm/volume-locks.js";
import { readSuperblock } from "../vm/superblock.js";
import { cachedImage, cachedKernel } from "../cache.js";
import { DigestCache } from "../image/digest-cache.js";
import { prepareBuild } from "../image/build.js";
import { readImage, type ImageInfo } from "../image/image.js";
import { planExec, validateEnv } from "../image/plan.js";
import { findKernel } from "../kernel.js";
import { describeAccel, detectAccel, type Accel, type AccelChoice } from "../vm/accel.js";
import { MACHINE_TYPES, type MachineType, type NetworkConfig, type PortForward } from "../vm/qemu-args.js";
import { makeReporter, type Command, type CommandContext, type Reporter } from "./command.js";
import { ARGUMENT_FILES_NOTE, EXEC_OPTIONS, execSpecFrom } from "./exec-options.js";

export const runCommand: Command = {
  name: "run",
  summary: "boot a program or an image in a VM and wait for it to exit",
  usage: ["run [OPTIONS] APP_DIR|IMAGE|NAME [-- ARGS...]", "run --exec PROGRAM [OPTIONS] [-- ARGS...]"],
  examples: [
    { command: "uninode run apps/express-hello -p 8080:3000", description: "build the Express example (cached by content) and boot it, host port 8080 to the app's 3000" },
    { command: "uninode run express-hello", description: "boot the image tagged express-hello by `uninode build`" },
    { command: "uninode run -p 8080:80 apps/nginx", description: "build a recipe of Debian packages (uninode.json with \"debian\", see `uninode build --help`; cached) and boot it" },
    { command: "uninode run express-hello -- --port 4000", description: "the same with other arguments after the entry file (replacing the config's \"args\")" },
    { command: "uninode run --exec ./hello", description: "build an image for ./hello (cached) and boot it" },
    { command: "uninode run --exec ls -- -la /", description: "run the host's ls, with arguments, inside a VM" },
    { command: "uninode run --exec node -- -e \"console.log(process.version)\"", description: "the host's node, evaluating a line of JavaScript in a VM" },
    { command: "uninode run --exec node -- script.js", description: "./script.js is copied to /app/script.js and run there" },
    { command: "uninode run --timeout 30 --verbose app.img", description: "boot an image built with `uninode build`, showing the kernel log" },
    { command: "uninode run -v dbdata:/var/lib/mysql mariadb", description: "attach the volume dbdata (uninode volume create dbdata) read-write at /var/lib/mysql" },
    { command: "uninode run -v ./uploads:/app/uploads:ro express-hello", description: "share the host directory ./uploads read-only at /app/uploads (virtio-9p)" },
    { command: "uninode run -d --name db --network backend mariadb", description: "a second NIC on the private network backend (uninode network create backend); the other VMs on it reach this one as db" },
  ],
  notes: [
    "The thing to run is an app directory (built first, as `uninode build` would, and cached by content), an image " +
      "file, or the tag of an image `uninode build` made. Without -m, --cpus or -p, an image's config (\"memory\", " +
      "\"cpus\", \"ports\") decides, else 256M, 1 CPU and no published ports. A published host port that is in use " +
      "is refused before the VM starts.",
    "ARGS after -- replace the image's arguments, as `docker run IMAGE ARGS` does: for an app, the config's \"args\" " +
      "after the entry file (node, its options and the entry stay); for a program, argv[1] on. Nothing after -- keeps " +
      "the image's. They travel on the kernel command line, which holds about 1000 bytes with the -e values.",
    "-v attaches a named volume (NAME:/PATH, see `uninode volume`) or shares a host directory (./DIR:/PATH or " +
      "/abs/DIR:/PATH); :ro makes it read-only. They add to the config's \"volumes\", and a -v at a mount point the " +
      "config also uses replaces that entry, as `docker compose run -v` does. A volume attached read-write is locked " +
      "to this VM; read-only attachments may share one. At most 16 in all.",
    "--network NAME (repeatable) adds a NIC on a private network made by `uninode network create`, beside the first " +
      "NIC (the user network, or tap:IFNAME); the VM gets the lowest free address on it, or --ip ADDRESS. Its --name " +
      "and --network-alias names resolve in every VM on the network through /etc/hosts, both in VMs started before " +
      "it and after it.",
    ARGUMENT_FILES_NOTE,
  ],
  options: [
    ...EXEC_OPTIONS,
    { name: "memory", short: "m", value: "SIZE", description: "guest memory, e.g. 256M or 1G (default: the image's config, else 256M)" },
    { name: "cpus", value: "N", description: "virtual CPUs (default: the image's config, else 1)" },
    { name: "machine", value: "q35|microvm", description: "the QEMU machine: q35 (PCI, the default) or microvm (virtio-mmio, fewer devices)" },
    { name: "node", value: "host|VERSION", description: "for an APP_DIR: the Node runtime, as in `uninode build`" },
    { name: "accel", value: "kvm|tcg", description: "force the accelerator (default: KVM when it is real hardware virtualization, else TCG)" },
    { name: "publish", short: "p", value: "[HOSTIP:]HOSTPORT:GUESTPORT[/udp]", repeatable: true, description: "forward a host port to a port in the VM (repeatable; host side 127.0.0.1 unless HOSTIP is given)" },
    { name: "ip", value: "ADDRESS[/PREFIX]|dhcp", description: "the VM's IPv4 address, such as 10.0.2.16/24, instead of the image's config (or DHCP); with --network NAME, its address on that network, such as 10.89.0.7" },
    { name: "gateway", value: "ADDRESS", description: "with --ip: the default route" },
    { name: "dns", value: "ADDRESS", repeatable: true, description: "a DNS server for /etc/resolv.conf, over DHCP's or the image's (at most two)" },
    { name: "network", value: "user|tap:IFNAME|none|NAME", repeatable: true, description: "the VM's network: QEMU's user network (the default; -p publishes ports), a tap device you created and wired into the host's network (the VM has its own address there), or none; NAME (repeatable) adds a NIC on that private network (uninode network create)" },
    { name: "network-alias", value: "ALIAS", repeatable: true, description: "with --network NAME: one more name the other VMs on the network reach this one by (repeatable)" },
    { name: "volume", short: "v", value: "SOURCE:/PATH[:ro]", repeatable: true, description: "attach the named volume SOURCE, or share the host directory SOURCE (./DIR, /DIR), at /PATH (repeatable; :ro for read-only)" },
    { name: "read-only", description: "keep the image's root read-only: no writable layer over it (also the config's \"readOnly\")" },
    { name: "detach", short: "d", description: "start the VM in the background and print its name (see ps, logs, stop, rm)" },
    { name: "json", description: "with -d: print {name, id, image, pid, ports, mounts, memory, cpus} as JSON; a failure is {\"error\": {\"code\", \"message\"}}" },
    { name: "name", value: "NAME", description: "name a detached VM (default: the image's name and a few random letters)" },
    { name: "timeout", value: "SECONDS", description: "stop the VM after this long and exit with status 124" },
    { name: "trace", description: "log every system call (strace-style) on stderr" },
    { name: "verbose", description: "show the kernel log, the QEMU command line and what is being done" },
  ],
  async run(args, ctx) {
    const verbose = flag(args, "verbose");
    const trace = flag(args, "trace");
    const report = makeReporter(ctx, verbose, flag(args, "json"));
    const memoryOpt = stringOpt(args, "memory");
    if (memoryOpt !== undefined) parseMemory(memoryOpt);
    const cpusOpt = parseCpus(stringOpt(args, "cpus"));
    const machine = parseMachine(stringOpt(args, "machine"));
    const forcedAccel = parseAccel(stringOpt(args, "accel"));
    const timeout = parseTimeout(stringOpt(args, "timeout"));
    const published = listOpt(args, "publish").map(parsePublish);
    const { choice: netChoice, privateNets } = splitNetworks(listOpt(args, "network"));
    const aliases = listOpt(args, "network-alias").map((a) => checkAlias(a));
    if (aliases.length > 0 && privateNets.length === 0) throw new UsageError("--network-alias names the VM on a private network; add --network NAME.");
    // With a private network, --ip is the address on it (as docker run --network N --ip A).
    const privateIp = privateNets.length > 0 ? stringOpt(args, "ip") : undefined;
    if (privateIp !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(privateIp)) {
      throw new UsageError(`--ip with --network ${privateNets[0]} is the VM's address on it, such as 10.89.0.7, got "${privateIp}".`);
    }
    const ipOpt = privateNets.length > 0 ? undefined : stringOpt(args, "ip");
    const gatewayOpt = stringOpt(args, "gateway");
    const netFlags = { ...(ipOpt !== undefined ? { ip: ipOpt } : {}), ...(gatewayOpt !== undefined ? { gateway: gatewayOpt } : {}), dns: listOpt(args, "dns") };
    runNetwork(undefined, netFlags);          // a mistake in them is reported before anything is built
    if (published.length > 0 && netChoice.kind !== "user") {
      throw new UsageError(`-p publishes ports through QEMU's user network; with --network ${netChoice.kind === "tap" ? `tap:${netChoice.ifname} reach the VM at its own address instead` : "none the VM has no network"}.`);
    }
    const cliMounts = listOpt(args, "volume").map((v) => parseMountSpec(v, ctx.cwd));
    mergeMounts([], cliMounts);          // a repeated mount point is reported before anything is built
    const detach = flag(args, "detach");
    const nameOpt = stringOpt(args, "name");
    if (nameOpt !== undefined) {
      if (!detach) throw new UsageError("--name names a detached VM; add -d.");
      checkName(nameOpt);
    }
    if (nameOpt !== undefined && aliases.includes(nameOpt)) throw new UsageError(`--network-alias ${nameOpt} is the VM's --name already.`);
    if (detach && timeout !== undefined) throw new UsageError("--timeout is for a VM the command waits for; stop a detached one with uninode stop.");
    const json = flag(args, "json");
    if (json && !detach) throw new UsageError("--json describes a detached VM; add -d (a VM run in the foreground prints the program's own output).");

    const { image, bootEnv, bootArgs } = await imageToRun(args, ctx, report);
    const ipTok = ipToken(runNetwork(imageNetwork(image.manifest), netFlags)) ?? "";
    const meta = image.manifest as ManifestMeta;
    const mounts = await resolveMounts(mergeMounts(configMounts(meta), cliMounts), async (name) => {
      const v = await findVolume(name, ctx.env).catch(async (err: unknown) => {
        // docker users write `-v uploads:/x` meaning a directory; a bare name is a volume here too.
        if ((await stat(path.resolve(ctx.cwd, name)).catch(() => undefined))?.isDirectory() && err instanceof UninodeError) {
          throw new UninodeError(err.code, `${err.message.replace(/\.$/, "")}; to share the directory ${name} instead, write ./${name}.`);
        }
        throw err;
      });
      await checkVolumeDisk(v);
      return v.file;
    });
    const readOnlyRoot = flag(args, "read-only") || meta.readOnly === true;
    const writeLogDir = ctx.env["UNINODE_VOLUME_WRITE_LOG"];
    const mountPlan: MountPlan = planMounts(mounts, writeLogDir ? path.resolve(writeLogDir) : undefined);
    for (const v of mountPlan.volumes) if (v.writeLog) await writeFile(v.writeLog, "");   // blklogwrites opens, never creates
    const label = imageLabel(args);
    const name = detach ? (nameOpt ?? `${defaultNameBase(image, label)}-${randomBytes(2).toString("hex")}`) : undefined;
    // Addresses are taken last, once nothing else can fail before the VM starts (or is released).
    const membership =
      privateNets.length > 0
        ? await Membership.join({
            networks: privateNets,
            ...(privateIp !== undefined ? { address: privateIp } : {}),
            aliases,
            ...(name !== undefined ? { vm: name } : {}),
            label,
            pid: process.pid,
            start: (await processStart(process.pid)) ?? "",
            firstIndex: netChoice.kind === "none" ? 0 : 1,
            env: ctx.env,
          })
        : undefined;
    let handedOver = false;          // a detached VM's QEMU holds the addresses from then on
    try {
      const cmdline = [trace ? "trace" : "", ipTok, ...(membership?.tokens ?? []), readOnlyRoot ? "readonly-root" : "", ...mountPlan.tokens, ...bootEnvTokens(bootEnv), ...bootArgTokens(bootArgs)]
        .filter((t) => t !== "")
        .join(" ");
      checkKernelCmdline(cmdline, { machine, detached: detach, extraDevices: mountPlan.volumes.length + mountPlan.shares.length + privateNets.length });
      if (mounts.length > 0) report.progress(`mounting ${mounts.map(formatMount).join(", ")}`);
      const memory = parseMemory(memoryOpt ?? (typeof meta.memory === "string" ? meta.memory : "256M"));
      const cpus = cpusOpt ?? (typeof meta.cpus === "number" ? meta.cpus : 1);
      const forwards: PortForward[] =
        published.length > 0 || !Array.isArray(meta.ports) || netChoice.kind !== "user"
          ? published
          : meta.ports.map((p) => ({ proto: "tcp", hostAddress: "127.0.0.1", hostPort: p.host, guestPort: p.guest }));
      checkMachineRoom(machine, netChoice.kind !== "none", mounts.length + privateNets.length);
      if (netChoice.kind === "tap") await checkTap(netChoice.ifname);
      const network: NetworkConfig | undefined =
        netChoice.kind === "user" ? { forwards } : netChoice.kind === "tap" ? { tap: netChoice.ifname } : undefined;
      if (published.length === 0 && forwards.length > 0) {
        report.progress(`publishing ${forwards.map((f) => `${f.hostPort}:${f.guestPort}`).join(", ")} from the image's config`);
      }
      await checkHostPorts(forwards);
      const kernel = await cachedKernel(image, cacheDir(ctx.env));
      const choice: AccelChoice = forcedAccel ? { accel: forcedAccel, reason: "--accel" } : await detectAccel();
      report.progress(describeAccel(choice, forcedAccel !== undefined));
      // What a detached and a foreground VM are both given.
      const vm = {
        kernel,
        root: { file: image.path, offset: image.header.sections.rootfs.offset, size: image.header.sections.rootfs.size },
        memory,
        cpus,
        ...(machine ? { machine } : {}),
        accel: choice.accel,
        cmdline,
        ...(network ? { network } : {}),
        volumes: mountPlan.volumes,
        shares: mountPlan.shares,
        debug: report.debug,
        ...(ctx.env["PATH"] !== undefined ? { searchPath: ctx.env["PATH"] } : {}),
      };

      if (detach && name !== undefined) {
        const { startDetached } = await import("../vm/detached.js");
        const locks = await lockVolumes(mounts, label, ctx.env, name);
        let record: InstanceRecord;
        try {
          record = await startDetached({
            name,
            imageLabel: label,
            ...vm,
            forwards,
            ...(membership ? { privateNics: membership.nics, networks: membership.attachments } : {}),
            mounts: mounts.map(formatMount),
            env: ctx.env,
          });
          // The VM outlives this process: its QEMU holds the volumes from now on.
          const qemuStart = await processStart(record.pid);
          for (const l of locks) {
            if (qemuStart !== undefined) await l.moveTo(record.pid, qemuStart, name);
            else await l.release();
          }
          if (membership && qemuStart !== undefined) {
            const { instanceFiles, instancesDir } = await import("../vm/instances.js");
            handedOver = true;
            await membership.moveTo(record.pid, qemuStart, { ...(record.control !== undefined ? { control: record.control } : {}), kernelLog: instanceFiles(path.join(instancesDir(ctx.env), name)).kernel });
            await membership.announce(report.debug);
          } else {
            await membership?.release();
          }
        } catch (err) {
          for (const l of locks) await l.release();
          await membership?.release();
          throw err;
        }
        ctx.stdout.write(json ? JSON.stringify(detachedJson(record)) + "\n" : `${record.name}\n`);
        return 0;
      }

      const { runVm } = await import("../vm/launch.js");
      // Detached members running already learn this VM's names now (they ignore lines until ready).
      void membership?.announce(report.debug);
      const locks = await lockVolumes(mounts, label, ctx.env);
      // Ctrl-C (or SIGTERM) is passed to the program, as a terminal would, so a server can shut
      // down by itself; a second one, or a program still running 10 s later, stops QEMU cleanly
      // (the VM is gone before we exit 130) rather than orphaning it.
      const abort = new AbortController();
      let sendToProgram: ((sig: number) => boolean) | undefined;
      let forwarded: number | undefined;
      let grace: NodeJS.Timeout | undefined;
      const onSignal = (name: NodeJS.Signals) => {
        const sig = name === "SIGINT" ? 2 : 15;
        if (forwarded === undefined && sendToProgram?.(sig)) {
          forwarded = sig;
          report.debug(`passed ${name} to the program; again to stop the VM at once`);
          grace = setTimeout(() => abort.abort(), 10_000);
          return;
        }
        abort.abort();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      const stdinErrors = () => undefined;
      ctx.stdin.on("error", stdinErrors);
      let stopWatching = () => undefined as void;
      const booting = report.step("booting");
      try {
        return await runVm({
          ...vm,
          ...(membership ? { privateNics: membership.nics, onControl: (write: (line: string) => void) => (stopWatching = membership.watch(write)) } : {}),
          ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
          signal: abort.signal,
          onSignalSender: (send) => (sendToProgram = send),
          stdin: ctx.stdin,
          stdout: ctx.stdout,
          stderr: ctx.stderr,
          showKernelLog: verbose || trace,
          onReady: () => booting.end(),
        });
      } catch (err) {
        // The program died of the signal we passed on: that is the ending the user asked for.
        if (forwarded !== undefined && err instanceof UninodeError && err.code === "PROGRAM_SIGNALED" && err.exitCode === 128 + forwarded) {
          return err.exitCode;
        }
        throw err;
      } finally {
        stopWatching();
        for (const l of locks) await l.release();
        booting.cancel();
        if (grace) clearTimeout(grace);
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        ctx.stdin.off("error", stdinErrors);
      }
    } finally {
      // A foreground VM's addresses end with it; a detached VM's QEMU holds them (moveTo) until it ends.
      if (!handedOver) await membership?.release();
    }
  },
};

/** --network values: at most one of user, none, tap:IFNAME (the first NIC; user when none is
 * given), and private network names, each one more NIC. */
export function splitNetworks(values: readonly string[]): { choice: NetworkChoice; privateNets: string[] } {
  const first = values.filter((v) => v === "user" || v === "none" || v.startsWith("tap:"));
  if (first.length > 1) throw new UsageError(`--network ${first[0]} and --network ${first[1]} both choose the first NIC; give one of user, none and tap:IFNAME.`);
  const privateNets = values.filter((v) => !first.includes(v));
  for (const n of privateNets) {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,62}$/.test(n)) {
      throw new UsageError(`--network must be user, tap:IFNAME, none or a network's name (uninode network ls), not ${JSON.stringify(n)}.`);
    }
  }
  return { choice: parseNetwork(first[0]), privateNets };
}

/** A --network-alias: a host name other VMs resolve (letters, digits, "_", "." and "-"). */
function checkAlias(a: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(a)) {
    throw new UsageError(`--network-alias expects a name of letters, digits, ".", "_" and "-" (up to 63, starting with a letter or digit), got "${a}".`);
  }
  return a;
}

/** The image to boot, and -e values to set at boot (an image file or tag keeps its files but
 * its environment can be overridden on the kernel command line: CONTRACT.md, env=). */
async function imageToRun(args: ParsedArgs, ctx: CommandContext, report: Reporter): Promise<{ image: ImageInfo; bootEnv: string[]; bootArgs: string[] }> {
  // -e also suits an app directory (it is built into the image); see the directory case below.
  const appEnv = stringOpt(args, "exec") === undefined ? listOpt(args, "env") : [];
  if (appEnv.length > 0) args.options.delete("env");
  const spec = execSpecFrom(args, ctx, "run");
  if (spec) {
    if (args.positionals.length > 0) {
      throw new UsageError(`Unexpected argument "${args.positionals[0]}"; with --exec, the program's arguments go after --.`);
    }
    if (stringOpt(args, "node") !== undefined) throw new UsageError("--node is for app directories; with --exec, name the node binary itself.");
    const plan = await planExec(spec);
    // Remembered hashes: a 100 MB program is not read again while it is unchanged.
    const digestCache = await DigestCache.open(cacheDir(ctx.env));
    const prepared = await prepareBuild(plan, await findKernel(ctx.env), { digestCache, step: report.step });
    await digestCache.save();
    const { image, hit } = await cachedImage(prepared, cacheDir(ctx.env), report.step);
    report.debug(`${hit ? "reusing" : "built"} cached image ${image.path}`);
    return { image, bootEnv: [], bootArgs: [] };
  }
  if (args.positionals.length === 0) {
    throw new UsageError("uninode run needs an APP_DIR, an IMAGE file, an image NAME or --exec PROGRAM; see 'uninode run --help'.");
  }
  if (args.positionals.length > 1) throw new UsageError(`uninode run takes one APP_DIR, IMAGE or NAME, got ${args.positionals.length} arguments.`);
  const bootArgs = args.passthrough ?? [];
  const target = args.positionals[0]!;
  const abs = path.resolve(ctx.cwd, target);
  const st = await stat(abs).catch(() => undefined);
  if (st?.isDirectory()) {
    const { isRecipeDir } = await import("../debian/recipe.js");
    if (await isRecipeDir(abs, target)) {
      if (stringOpt(args, "node") !== undefined) throw new UsageError("--node is for Node app directories, not a recipe of Debian packages.");
      const { prepareRecipe } = await import("../debian/command.js");
      const r = await prepareRecipe(target, ctx, { cacheRoot: cacheDir(ctx.env), report }, { env: appEnv });
      const { image, hit } = await cachedImage(r.prepared, cacheDir(ctx.env), report.step);
      report.progress(`${hit ? "reusing" : "built"} the image of ${r.recipe.file}`);
      return { image, bootEnv: [], bootArgs };
    }
    const { prepareApp } = await import("../node/prepare.js");
    const nodeOpt = stringOpt(args, "node");
    const r = await prepareApp({
      dir: target,
      cwd: ctx.cwd,
      env: ctx.env,
      cacheRoot: cacheDir(ctx.env),
      cliEnv: appEnv,
      ...(nodeOpt !== undefined ? { node: nodeOpt } : {}),
      progress: report.progress,
      step: report.step,
    });
    const { image, hit } = await cachedImage(r.prepared, cacheDir(ctx.env), report.step);
    report.progress(`${hit ? "reusing" : "built"} the image of ${r.app.name}`);
    return { image, bootEnv: [], bootArgs };
  }
  if (stringOpt(args, "node") !== undefined) throw new UsageError("--node is for app directories: an image's runtime is fixed when it is built.");
  appEnv.forEach(validateEnv);
  let image: ImageInfo;
  if (st === undefined && !target.includes("/")) {
    const tagged = await imageForTag(cacheDir(ctx.env), target);
    if (tagged === undefined) {
      throw new UninodeError("IMAGE_NOT_FOUND", `${target} is not a file, an app directory, or the tag of an image; check the name, or build one with uninode build --tag ${target}.`);
    }
    image = await readImage(tagged, { verify: false });
  } else image = await readImage(abs);
  if (bootArgs.length > 0 && typeof (image.manifest as { fixedArgs?: unknown }).fixedArgs !== "number") {
    throw new UninodeError("IMAGE_ARGS_FIXED", `${target} was built before an image's arguments could be replaced; rebuild it to pass arguments after --.`);
  }
  return { image, bootEnv: appEnv, bootArgs };
}

/** The image's config "volumes" (host directories were made absolute when it was built). */
function configMounts(meta: ManifestMeta): MountSpec[] {
  return (meta.volumes ?? []).map((v) => parseMountSpec(v, "/", "The image's config volume"));
}

/** Locks every volume the VM attaches, for this process (moved to QEMU's for a detached VM), before
 * QEMU starts: a conflict is our sentence, not QEMU's image-lock error. All or none are taken. */
async function lockVolumes(mounts: readonly Mount[], label: string, env: NodeJS.ProcessEnv, vm?: string): Promise<VolumeLock[]> {
  const start = await processStart(process.pid);
  if (start === undefined) throw new Error("cannot read this process's start time from /proc");
  const taken: VolumeLock[] = [];
  try {
    for (const m of mounts) {
      if (m.kind !== "volume") continue;
      const holder = { label, pid: process.pid, start, readOnly: m.readOnly, ...(vm !== undefined ? { vm } : {}) };
      taken.push(await VolumeLock.take(m.name, path.join(volumesDir(env), m.name), holder));
      // With the lock held no VM writes it, so the flag is not a writer's mount in progress.
      if (m.readOnly && (await readSuperblock(m.file))?.needsRecovery) {
        throw new UninodeError(
          "VOLUME_NEEDS_RECOVERY",
          `The volume ${m.name} was not unmounted cleanly and its journal must be replayed, which a read-only attachment cannot do; attach it read-write once (-v ${m.name}:${m.target}), then :ro works.`,
        );
      }
    }
  } catch (err) {
    for (const l of taken) await l.release();
    throw err;
  }
  return taken;
}

/** env=NAME=VALUE kernel command-line tokens; spaces, '%' and non-ASCII are %-escaped. */
export function bootEnvTokens(env: string[]): string[] {
  return env.map((kv) => "env=" + percentEscape(kv));
}

/** `run -d --json`: what a script needs to reach and manage the VM (ports as `ps` shows them). */
function detachedJson(r: InstanceRecord) {
  return { name: r.name, id: r.id, image: r.imageLabel, pid: r.pid, ports: r.ports.map(formatForward), mounts: r.mounts ?? [], memory: r.memory, cpus: r.cpus };
}

/** What the user asked to run, for `ps`: the tag, file or directory, or --exec PROGRAM. */
function imageLabel(args: ParsedArgs): string {
  const program = stringOpt(args, "exec");
  return program !== undefined ? `--exec ${program}` : args.positionals[0] ?? "?";
}

/** A detached VM's default name: the app's name, the program's, or the image file's, made safe. */
function defaultNameBase(image: ImageInfo, label: string): string {
  const m = image.manifest as { app?: { name?: unknown }; exec?: unknown };
  const raw =
    typeof m.app?.name === "string"
      ? m.app.name
      : label.startsWith("--exec ")
        ? path.basename(label.slice(7))
        : path.basename(label).replace(/\.img$/, "");
  const base = raw.replace(/^@/, "").replace(/[^a-zA-Z0-9_.-]+/g, "-").replace(/^[^a-zA-Z0-9]+/, "").slice(0, 40);
  return base === "" ? "vm" : base;
}

/** QEMU -m syntax; a bare number is MiB, as in QEMU. */
export function parseMemory(value: string): string {
  const m = /^(\d+)([MG]i?B?)?$/i.exec(value.trim());
  if (!m) throw new UsageError(`--memory expects a size such as 256M or 1G, got "${value}".`);
  const n = Number(m[1]);
  const mib = (m[2] ?? "M").toUpperCase().startsWith("G") ? n * 1024 : n;
  if (mib < 32) throw new UsageError(`--memory ${value} is too small; the guest needs at least 32M.`);
  return `${mib}M`;
}

export function parseCpus(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 64) throw new UsageError(`--cpus expects a whole number from 1 to 64, got "${value}".`);
  return n;
}

export function parseAccel(value: string | undefined): Accel | undefined {
  if (value === undefined) return undefined;
  if (value === "kvm" || value === "tcg") return value;
  throw new UsageError(`--accel expects kvm or tcg, got "${value}".`);
}

export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--timeout expects a positive number of seconds, got "${value}".`);
  }
  return n;
}

/** -p [HOSTIP:]HOSTPORT:GUESTPORT[/tcp|/udp], as docker spells it. */
export function parsePublish(value: string): PortForward {
  const m = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d+):(\d+)(?:\/(tcp|udp))?$/.exec(value.trim());
  const port = (s: string) => {
    const n = Number(s);
    return n >= 1 && n <= 65535 ? n : undefined;
  };
  const hostPort = m ? port(m[2]!) : undefined;
  const guestPort = m ? port(m[3]!) : undefined;
  if (!m || hostPort === undefined || guestPort === undefined) {
    throw new UsageError(`--publish expects [HOSTIP:]HOSTPORT:GUESTPORT[/udp] with ports 1-65535, such as 8080:3000, got "${value}".`);
  }
  return { proto: m[4] === "udp" ? "udp" : "tcp", hostAddress: m[1] ?? "127.0.0.1", hostPort, guestPort };
}

function parseMachine(value: string | undefined): MachineType | undefined {
  if (value === undefined) return undefined;
  if (!(MACHINE_TYPES as readonly string[]).includes(value)) {
    throw new UsageError(`--machine expects q35 or microvm, got "${value}".`);
  }
  return value as MachineType;
}
