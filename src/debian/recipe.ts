// A recipe: a directory whose uninode.json names Debian packages ("debian") and the program to
// run, with the files, users and programs the image needs beside them. A directory is a recipe
// when its uninode.json has a "debian" field and it has no package.json (a Node app's config
// lives beside its package.json and has no "debian"); one with both is refused, since it is
// unclear which image is meant. Fields shared with a Node app's config (env, ports, files,
// memory, cpus, volumes, hosts, network, readOnly) are checked by the same code and mean the same.

import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { UninodeError } from "../errors.js";
import { checkConfigField, closest, ConfigError, showValue, type NetworkConfig, type PortMapping } from "../node/config.js";
import { PACKAGE_NAME } from "./apt.js";
import type { UserSpec } from "./users.js";

export interface Recipe {
  /** The recipe directory (absolute) and how the user named it. */
  dir: string;
  label: string;
  /** Where messages say the recipe is: "apps/nginx/uninode.json". */
  file: string;
  debian: string[];
  exec: string;
  args?: string[];
  env?: Record<string, string>;
  files?: string[];
  ports?: PortMapping[];
  users?: UserSpec[];
  volumes?: string[];
  memory?: string;
  cpus?: number;
  cwd?: string;
  hosts?: Record<string, string>;
  network?: NetworkConfig;
  readOnly?: boolean;
  /** Image path → C source file, relative to the recipe directory. */
  programs?: Record<string, string>;
}

type RecipeField = Exclude<keyof Recipe, "dir" | "label" | "file">;

export const RECIPE_FIELDS: readonly RecipeField[] = [
  "debian", "exec", "args", "env", "files", "ports", "users", "volumes", "memory", "cpus", "cwd", "hosts", "network", "readOnly", "programs",
];

/** Name, uid, gid, home, shell, groups: the fields of one "users" entry. */
const USER_FIELDS = ["name", "uid", "gid", "home", "shell", "groups"];

/** True when `dir` is a recipe by the rule above; throws for a directory that is both. */
export async function isRecipeDir(dir: string, label: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path.join(dir, "uninode.json"), "utf8");
  } catch {
    return false;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return false; // the Node app path reports the broken JSON in its own words
  }
  if (typeof raw !== "object" || raw === null || !("debian" in raw)) return false;
  if (await stat(path.join(dir, "package.json")).then(() => true, () => false)) {
    throw new ConfigError(
      `${path.join(label, "uninode.json")} has "debian" (a recipe of Debian packages) but ${label} also has a package.json (a Node app); keep the recipe in a directory of its own.`,
    );
  }
  return true;
}

/** Reads and checks DIR/uninode.json; every mistake is one sentence naming the field. */
export async function loadRecipe(dir: string, label: string): Promise<Recipe> {
  const file = path.join(label, "uninode.json");
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path.join(dir, "uninode.json"), "utf8"));
  } catch (err) {
    throw new ConfigError(`${file} cannot be read as JSON (${(err as Error).message}); fix it.`);
  }
  return validateRecipe(raw, { dir, label, file });
}

/** The checks of loadRecipe on a parsed object (tests call it directly). */
export function validateRecipe(raw: unknown, where: { dir: string; label: string; file: string }): Recipe {
  const f = where.file;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${f} must hold an object such as {"debian": ["nginx-light"], "exec": "/usr/sbin/nginx"}, got ${showValue(raw)}.`);
  }
  const o = raw as Record<string, unknown>;
  const out: Partial<Recipe> & { dir: string; label: string; file: string } = { ...where };
  for (const key of Object.keys(o)) {
    if (!(RECIPE_FIELDS as readonly string[]).includes(key)) {
      const near = closest(key, RECIPE_FIELDS);
      throw new ConfigError(`${f} has an unknown field "${key}"; ${near ? `did you mean "${near}"? ` : ""}the fields are ${RECIPE_FIELDS.join(", ")}.`);
    }
  }
  const w = (k: string) => `${f}: "${k}"`;
  const d = o["debian"];
  if (!Array.isArray(d) || d.length === 0 || !d.every((p) => typeof p === "string" && PACKAGE_NAME.test(p))) {
    const bad = Array.isArray(d) ? d.find((p) => typeof p !== "string" || !PACKAGE_NAME.test(p)) : undefined;
    const got = Array.isArray(d) && d.length > 0 ? `, and ${showValue(bad)} is not one` : `, got ${showValue(d)}`;
    throw new ConfigError(`${w("debian")} must be a list of package names such as ["nginx-light"]${got}.`);
  }
  out.debian = d as string[];
  const exec = o["exec"];
  if (typeof exec !== "string" || !exec.startsWith("/") || exec.includes("\0")) {
    throw new ConfigError(`${w("exec")} must be the program's absolute path inside the packages such as "/usr/sbin/nginx", got ${showValue(exec)}.`);
  }
  out.exec = path.posix.normalize(exec);
  if (o["args"] !== undefined) out.args = checkConfigField("args", o["args"], w("args"));
  if (o["env"] !== undefined) out.env = checkConfigField("env", o["env"], w("env"));
  if (o["files"] !== undefined) out.files = checkConfigField("files", o["files"], w("files"));
  if (o["ports"] !== undefined) out.ports = checkConfigField("ports", o["ports"], w("ports"));
  if (o["volumes"] !== undefined) out.volumes = checkConfigField("volumes", o["volumes"], w("volumes"));
  if (o["memory"] !== undefined) out.memory = checkConfigField("memory", o["memory"], w("memory"));
  if (o["cpus"] !== undefined) out.cpus = checkConfigField("cpus", o["cpus"], w("cpus"));
  if (o["hosts"] !== undefined) out.hosts = checkConfigField("hosts", o["hosts"], w("hosts"));
  if (o["network"] !== undefined) out.network = checkConfigField("network", o["network"], w("network"));
  if (o["readOnly"] !== undefined) out.readOnly = checkConfigField("readOnly", o["readOnly"], w("readOnly"));
  if (o["cwd"] !== undefined) {
    const c = o["cwd"];
    if (typeof c !== "string" || !c.startsWith("/")) throw new ConfigError(`${w("cwd")} must be an absolute directory in the image such as "/", got ${showValue(c)}.`);
    out.cwd = path.posix.normalize(c).replace(/(.)\/+$/, "$1");
  }
  if (o["users"] !== undefined) out.users = checkUsers(o["users"], w("users"));
  if (o["programs"] !== undefined) out.programs = checkPrograms(o["programs"], w("programs"));
  return out as Recipe;
}

/** A user name adduser accepts for a system user. */
const USER_NAME = /^[a-z_][a-z0-9_-]*\$?$/;

function checkUsers(v: unknown, w: string): UserSpec[] {
  if (!Array.isArray(v)) throw new ConfigError(`${w} must be a list such as ["mysql"] or [{"name": "mysql", "uid": 101}], got ${showValue(v)}.`);
  return v.map((u, i) => {
    const at = `${w}[${i}]`;
    if (typeof u === "string") {
      if (!USER_NAME.test(u) || u.length > 32) throw new ConfigError(`${at} must be a user name of lowercase letters, digits, _ and - such as "mysql", got ${showValue(u)}.`);
      return { name: u };
    }
    if (typeof u !== "object" || u === null || Array.isArray(u)) throw new ConfigError(`${at} must be a name such as "mysql" or an object such as {"name": "mysql", "uid": 101}, got ${showValue(u)}.`);
    const o = u as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!USER_FIELDS.includes(k)) throw new ConfigError(`${at} has an unknown field "${k}"; the fields are ${USER_FIELDS.join(", ")}.`);
    }
    const name = o["name"];
    if (typeof name !== "string" || !USER_NAME.test(name) || name.length > 32) throw new ConfigError(`${at}.name must be a user name such as "mysql", got ${showValue(name)}.`);
    const spec: UserSpec = { name };
    for (const k of ["uid", "gid"] as const) {
      const id = o[k];
      if (id === undefined) continue;
      if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > 65533) throw new ConfigError(`${at}.${k} must be a whole number from 0 to 65533, got ${showValue(id)}.`);
      spec[k] = id;
    }
    for (const k of ["home", "shell"] as const) {
      const p = o[k];
      if (p === undefined) continue;
      if (typeof p !== "string" || !p.startsWith("/") || /[:\n]/.test(p)) throw new ConfigError(`${at}.${k} must be an absolute path without ":" such as "/nonexistent", got ${showValue(p)}.`);
      spec[k] = p;
    }
    if (o["groups"] !== undefined) {
      const g = o["groups"];
      if (!Array.isArray(g) || !g.every((x) => typeof x === "string" && USER_NAME.test(x))) throw new ConfigError(`${at}.groups must be a list of group names such as ["adm"], got ${showValue(g)}.`);
      spec.groups = g as string[];
    }
    return spec;
  });
}

function checkPrograms(v: unknown, w: string): Record<string, string> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new ConfigError(`${w} must map image paths to C sources such as {"/usr/local/sbin/entrypoint": "entrypoint.c"}, got ${showValue(v)}.`);
  }
  for (const [imagePath, src] of Object.entries(v)) {
    if (!imagePath.startsWith("/") || imagePath.endsWith("/") || imagePath.startsWith("/.uninode")) {
      throw new ConfigError(`${w} has the image path ${JSON.stringify(imagePath)}; give an absolute file path such as "/usr/local/sbin/entrypoint".`);
    }
    if (typeof src !== "string" || !src.endsWith(".c") || path.isAbsolute(src)) {
      throw new ConfigError(`${w}.${imagePath} must be a C source file relative to the recipe such as "entrypoint.c", got ${showValue(src)}.`);
    }
  }
  return v as Record<string, string>;
}

export class RecipeError extends UninodeError {}
