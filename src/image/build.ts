// Building an image from a plan, in two steps so a cache can ask "do I have this already?" in
// between: prepareBuild hashes every input and derives the content key; writeBuild stages the
// tree, makes the ext2 root fs and writes the image file.

import { mkdir } from "node:fs/promises";
import path from "node:path";
import { checkKernel } from "../kernel.js";
import type { DigestCache } from "./digest-cache.js";
import { writeImage, IMAGE_FORMAT, type ImageHeader } from "./image.js";
import { MANIFEST_FORMAT, renderBootFile, renderManifest, type Manifest, type ManifestFile } from "./manifest.js";
import { finishPlan, type ImagePlan, type PlanEntry } from "./plan.js";
import type { StartStep, Step } from "../progress.js";
import { makeRootfs, sizeRootfs } from "./rootfs.js";
import { digestEntries, digestFile, makeTempDir, removeDir, sha256, stageTree, type FileDigest } from "./stage.js";

/** Bump when the way bytes are laid out changes, so cached images built the old way are not reused. */
const BUILDER_REVISION = 1;

export interface PreparedBuild {
  entries: PlanEntry[];
  digests: Map<string, FileDigest>;
  manifest: Manifest;
  manifestText: string;
  kernelPath: string;
  kernelSha256: string;
  /** sha256 over everything that determines the image's bytes. */
  key: string;
}

export interface BuildResult {
  path: string;
  key: string;
  header: ImageHeader;
  manifest: Manifest;
}

export interface PrepareOptions {
  /** Remembered hashes of unchanged files (rebuilds of big apps); default: hash everything. */
  digestCache?: DigestCache;
  /** Shows hashing as a live step. */
  step?: StartStep;
}

/** Hashes the plan's inputs and the kernel; nothing is written. */
export async function prepareBuild(plan: ImagePlan, kernelPath: string, options: PrepareOptions = {}): Promise<PreparedBuild> {
  await checkKernel(kernelPath);
  const entries = finishPlan(plan);
  const cache = options.digestCache;
  const hashing = options.step?.("hashing files", { unit: "files" });
  const digests = await digestEntries(entries, cache ? (f) => cache.digest(f) : undefined, (done, total) => hashing?.update(done, total));
  hashing?.end();
  const manifest = makeManifest(plan, entries, digests);
  const manifestText = renderManifest(manifest);
  const kernel = await digestFile(kernelPath);
  const shape = entries.map((e) =>
    e.type === "symlink" ? ["l", e.imagePath, e.target] : e.type === "dir" ? ["d", e.imagePath, e.mode] : ["f", e.imagePath, e.mode],
  );
  const key = sha256(
    JSON.stringify({ builder: BUILDER_REVISION, image: IMAGE_FORMAT, kernel: kernel.sha256, manifest: manifestText, shape }),
  );
  return { entries, digests, manifest, manifestText, kernelPath, kernelSha256: kernel.sha256, key };
}

/** Stages, makes the root fs, and writes the image to `output` atomically; `step` shows how far. */
export async function writeBuild(prepared: PreparedBuild, output: string, step?: Step): Promise<BuildResult> {
  const work = await makeTempDir("uninode-build-");
  try {
    const stage = path.join(work, "root");
    const generated: PlanEntry[] = [
      { type: "data", imagePath: "/.uninode/boot", content: Buffer.from(renderBootFile(prepared.manifest)), role: "generated", mode: 0o644 },
      { type: "data", imagePath: "/.uninode/manifest.json", content: Buffer.from(prepared.manifestText), role: "generated", mode: 0o644 },
    ];
    const all = [...prepared.entries, ...generated].sort((a, b) => (a.imagePath < b.imagePath ? -1 : a.imagePath > b.imagePath ? 1 : 0));
    const digests = new Map(prepared.digests);
    for (const g of generated) if (g.type === "data") digests.set(g.imagePath, { size: g.content.length, sha256: sha256(g.content) });

    await mkdir(stage);
    step?.phase("copying files", "files");
    await stageTree(stage, all, (done, total) => step?.update(done, total));
    const rootfs = path.join(work, "rootfs.ext2");
    step?.phase("mke2fs");
    await makeRootfs(stage, all, sizeRootfs(all, digests), rootfs, work, { uuid: uuidFromKey(prepared.key) });
    step?.phase("assembling", "bytes");
    const header = await writeImage(
      output,
      { manifest: { data: Buffer.from(prepared.manifestText) }, kernel: { file: prepared.kernelPath }, rootfs: { file: rootfs } },
      (written, total) => step?.update(written, total),
    );
    return { path: output, key: prepared.key, header, manifest: prepared.manifest };
  } finally {
    await removeDir(work);
  }
}

function makeManifest(plan: ImagePlan, entries: PlanEntry[], digests: Map<string, FileDigest>): Manifest {
  const files: ManifestFile[] = [];
  for (const e of entries) {
    if (e.type !== "file" && e.type !== "data") continue;
    const d = digests.get(e.imagePath)!;
    files.push({ path: e.imagePath, role: e.role, size: d.size, sha256: d.sha256 });
  }
  // Key order is fixed here, so the JSON text is too.
  return {
    format: MANIFEST_FORMAT,
    exec: plan.boot.exec,
    argv: plan.boot.argv,
    ...(plan.boot.fixedArgs !== undefined ? { fixedArgs: plan.boot.fixedArgs } : {}),
    env: plan.boot.env,
    cwd: plan.boot.cwd,
    programKind: plan.programKind,
    ...(plan.interpreter !== undefined ? { interpreter: plan.interpreter } : {}),
    ...(plan.meta?.app !== undefined ? { app: plan.meta.app } : {}),
    ...(plan.meta?.node !== undefined ? { node: plan.meta.node } : {}),
    ...(plan.meta?.ports !== undefined ? { ports: plan.meta.ports } : {}),
    ...(plan.meta?.memory !== undefined ? { memory: plan.meta.memory } : {}),
    ...(plan.meta?.cpus !== undefined ? { cpus: plan.meta.cpus } : {}),
    ...(plan.meta?.network !== undefined ? { network: plan.meta.network } : {}),
    ...(plan.meta?.volumes !== undefined ? { volumes: plan.meta.volumes } : {}),
    ...(plan.meta?.readOnly !== undefined ? { readOnly: plan.meta.readOnly } : {}),
    ...(plan.meta?.packages !== undefined ? { packages: plan.meta.packages } : {}),
    files,
  };
}

/** A version-4-shaped UUID from the content key: distinct per image, identical per rebuild. */
export function uuidFromKey(key: string): string {
  const h = sha256(`uuid:${key}`).slice(0, 32).split("");
  h[12] = "4";
  h[16] = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = h.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}
