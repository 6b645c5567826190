// The app's uninode config: the "uninode" field of package.json or a uninode.json beside it. One
// typed schema; every mistake names the field, what was expected, what was found, and the fix.

import { isIPv4, isIPv6 } from "node:net";
import { UninodeError } from "../errors.js";
import { mergeMounts, parseMountSpec } from "../vm/mounts.js";

export interface AppConfig {
  /** The file node runs, relative to the app directory. */
  entry?: string;
  /** Arguments after the entry file. */
  args?: string[];
  /** Environment for the app, over uninode's defaults. */
  env?: Record<string, string>;
  /** Ports `uninode run` publishes when no -p is given: 3000 (same port on the host) or "8080:3000". */
  ports?: PortMapping[];
  /** Guest memory, "512M" or "1G". */
  memory?: string;
  cpus?: number;
  /** "host" or a Node version ("22", "22.11.0"). */
  node?: string;
  /** Extra files, "HOSTPATH:IMAGEPATH" with HOSTPATH relative to the app directory. */
  files?: string[];
  /** The VM's IPv4 configuration; DHCP when absent. */
  network?: NetworkConfig;
  /** Names added to the image's /etc/hosts, name → IPv4 or IPv6 address. */
  hosts?: Record<string, string>;
  /** Libraries opened with dlopen: sonames ("libvips-cpp.so.42") or absolute host paths. */
  libs?: string[];
  /** What `run` attaches, as -v: "NAME:/PATH[:ro]" (a volume) or "./DIR:/PATH[:ro]" (a host
   * directory, relative to the app directory). */
  volumes?: string[];
  /** No writable layer over the image's root (`run --read-only`). */
  readOnly?: boolean;
}

/**
 * "dhcp", or a static address with its prefix length, an optional gateway (the default route) and
 * DNS servers. DNS servers without an address keep DHCP for the address and override its servers.
 */
export type NetworkConfig = "dhcp" | { address?: string; gateway?: string; dns?: string[] };

export interface PortMapping {
  host: number;
  guest: number;
}

export class ConfigError extends UninodeError {
  constructor(message: string) {
    super("BAD_CONFIG", message);
  }
}

type FieldCheck = (value: unknown, where: string) => unknown;

const FIELDS: Record<keyof AppConfig, FieldCheck> = {
  entry: (v, w) => {
    if (typeof v !== "string" || v.trim() === "") throw new ConfigError(`${w} must be a file name such as "server.js", got ${show(v)}.`);
    return v;
  },
  args: (v, w) => {
    if (!Array.isArray(v) || !v.every((a) => typeof a === "string")) {
      throw new ConfigError(`${w} must be a list of strings such as ["--port", "3000"], got ${show(v)}.`);
    }
    return v;
  },
  env: (v, w) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      throw new ConfigError(`${w} must be an object of names to strings such as {"LOG_LEVEL": "info"}, got ${show(v)}.`);
    }
    for (const [k, val] of Object.entries(v)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new ConfigError(`${w} has the name ${JSON.stringify(k)}, which is not a valid environment variable name; use letters, digits and _.`);
      if (typeof val !== "string") throw new ConfigError(`${w}.${k} must be a string, got ${show(val)}; quote it ("${String(val)}").`);
    }
    return v;
  },
  ports: (v, w) => {
    if (!Array.isArray(v)) throw new ConfigError(`${w} must be a list such as [3000] or ["8080:3000"], got ${show(v)}.`);
    return v.map((p, i) => parsePort(p, `${w}[${i}]`));
  },
  memory: (v, w) => {
    if (typeof v !== "string" || !/^\d+[MG]$/i.test(v.trim())) throw new ConfigError(`${w} must be a size such as "512M" or "1G", got ${show(v)}.`);
    return v.trim().toUpperCase();
  },
  cpus: (v, w) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 64) throw new ConfigError(`${w} must be a whole number from 1 to 64, got ${show(v)}.`);
    return v;
  },
  node: (v, w) => {
    if (typeof v !== "string" || !/^(host|v?\d+(\.\d+){0,2})$/.test(v.trim())) {
      throw new ConfigError(`${w} must be "host" or a Node version such as "22" or "22.11.0", got ${show(v)}.`);
    }
    return v.trim();
  },
  files: (v, w) => {
    if (!Array.isArray(v)) throw new ConfigError(`${w} must be a list of "HOSTPATH:IMAGEPATH" strings, got ${show(v)}.`);
    v.forEach((f, i) => {
      if (typeof f !== "string" || !/^[^:]+:\/.*/.test(f)) {
        throw new ConfigError(`${w}[${i}] must be "HOSTPATH:IMAGEPATH" with an absolute IMAGEPATH such as "config/prod.json:/etc/app.json", got ${show(f)}.`);
      }
    });
    return v;
  },
  network: (v, w) => validateNetwork(v, w),
  hosts: (v, w) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      throw new ConfigError(`${w} must be an object of host names to addresses such as {"db.internal": "10.0.2.2"}, got ${show(v)}.`);
    }
    for (const [name, addr] of Object.entries(v)) checkHostEntry(name, addr, w);
    return v;
  },
  libs: (v, w) => {
    if (!Array.isArray(v)) throw new ConfigError(`${w} must be a list of library names or absolute paths such as ["libnss_dns.so.2"], got ${show(v)}.`);
    v.forEach((lib, i) => {
      if (typeof lib !== "string" || !isLibrarySpec(lib)) {
        throw new ConfigError(`${w}[${i}] must be a library name such as "libvips-cpp.so.42" or an absolute host path, got ${show(lib)}.`);
      }
    });
    return v;
  },
  volumes: (v, w) => {
    if (!Array.isArray(v)) throw new ConfigError(`${w} must be a list such as ["dbdata:/var/lib/mysql", "./uploads:/app/uploads:ro"], got ${show(v)}.`);
    const specs = v.map((spec, i) => {
      if (typeof spec !== "string") throw new ConfigError(`${w}[${i}] must be a string such as "dbdata:/var/lib/mysql", got ${show(spec)}.`);
      try {
        return parseMountSpec(spec, "/", `${w}[${i}]`);
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
    });
    try {
      mergeMounts(specs, []);
    } catch (err) {
      throw new ConfigError((err as Error).message.replace("The image's config", w));
    }
    return v;
  },
  readOnly: (v, w) => {
    if (typeof v !== "boolean") throw new ConfigError(`${w} must be true or false, got ${show(v)}.`);
    return v;
  },
};

const NETWORK_FIELDS = ["address", "gateway", "dns"];

/** The `network` field (also what `run` reads back from an image's manifest). */
export function validateNetwork(v: unknown, w: string): NetworkConfig {
  if (v === "dhcp") return v;
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new ConfigError(`${w} must be "dhcp" or an object such as {"address": "10.0.2.15/24", "gateway": "10.0.2.2", "dns": ["10.0.2.3"]}, got ${show(v)}.`);
  }
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!NETWORK_FIELDS.includes(key)) {
      const near = closest(key, NETWORK_FIELDS);
      throw new ConfigError(`${w} has an unknown field "${key}"; ${near ? `did you mean "${near}"? ` : ""}the fields are ${NETWORK_FIELDS.join(", ")}.`);
    }
  }
  const out: { address?: string; gateway?: string; dns?: string[] } = {};
  let net: { addr: number; mask: number } | undefined;
  if (o["address"] !== undefined) {
    const m = typeof o["address"] === "string" ? /^([^/]+)\/(\d{1,2})$/.exec(o["address"]) : null;
    const prefix = m ? Number(m[2]) : 0;
    if (!m || !isIPv4(m[1]!) || prefix < 1 || prefix > 32 || m[1] === "0.0.0.0") {
      throw new ConfigError(`${w}.address must be an IPv4 address with its prefix length such as "10.0.2.15/24", got ${show(o["address"])}.`);
    }
    out.address = o["address"] as string;
    net = { addr: quadToInt(m[1]!), mask: prefix === 32 ? 0xffffffff : ~(0xffffffff >>> prefix) >>> 0 };
  }
  if (o["gateway"] !== undefined) {
    const g = o["gateway"];
    if (typeof g !== "string" || !isIPv4(g)) throw new ConfigError(`${w}.gateway must be an IPv4 address such as "10.0.2.2", got ${show(g)}.`);
    if (net === undefined) throw new ConfigError(`${w}.gateway needs ${w}.address: with DHCP the gateway comes from DHCP; add "address" or drop "gateway".`);
    const gi = quadToInt(g);
    if (((gi & net.mask) >>> 0) !== ((net.addr & net.mask) >>> 0) || gi === net.addr) {
      throw new ConfigError(`${w}.gateway ${g} is not another address on the network of ${w}.address ${out.address}; give a gateway inside that network.`);
    }
    out.gateway = g;
  }
  if (o["dns"] !== undefined) {
    const d = o["dns"];
    if (!Array.isArray(d) || d.length < 1 || d.length > 2 || !d.every((a) => typeof a === "string" && isIPv4(a))) {
      throw new ConfigError(`${w}.dns must be a list of one or two IPv4 addresses such as ["10.0.2.3"], got ${show(d)}.`);
    }
    out.dns = d as string[];
  }
  if (out.address === undefined && out.dns === undefined) {
    throw new ConfigError(`${w} must give "address" (a static address) or "dns" (servers over DHCP's), or be "dhcp".`);
  }
  return out;
}

/** A name /etc/hosts can hold: DNS labels of letters, digits and inner hyphens, joined by dots. */
export function isHostName(name: string): boolean {
  const label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
  return name.length <= 253 && new RegExp(`^${label}(?:\\.${label})*$`).test(name);
}

/** One entry of the config's `hosts`, NAME → ADDRESS. */
function checkHostEntry(name: string, addr: unknown, where: string): void {
  if (!isHostName(name)) {
    throw new ConfigError(`${where} has the name ${JSON.stringify(name)}, which is not a host name; use letters, digits, hyphens and dots, such as "db.internal".`);
  }
  if (typeof addr !== "string" || !(isIPv4(addr) || isIPv6(addr))) {
    throw new ConfigError(`${where}.${name} must be an IPv4 or IPv6 address such as "10.0.2.2" or "fd00::2", got ${show(addr)}.`);
  }
}

/** A library as dlopen takes it: a bare file name, searched as the loader does, or an absolute path. */
export function isLibrarySpec(value: string): boolean {
  if (value === "" || value.includes("\0")) return false;
  return value.startsWith("/") ? !value.endsWith("/") : !value.includes("/") && value !== "." && value !== "..";
}

function quadToInt(q: string): number {
  return q.split(".").reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

export const CONFIG_FIELDS = Object.keys(FIELDS) as (keyof AppConfig)[];

/** One field's check, for other configs with the same field (a Debian recipe's ports, env...):
 * the normalized value, or a ConfigError naming `where`. */
export function checkConfigField<K extends keyof AppConfig>(key: K, value: unknown, where: string): NonNullable<AppConfig[K]> {
  return FIELDS[key](value, where) as NonNullable<AppConfig[K]>;
}

/** A short JSON rendering of a wrong value, for messages. */
export function showValue(v: unknown): string {
  return show(v);
}

/** Validates a parsed config object; `where` names its place ('package.json "uninode"', 'uninode.json'). */
export function validateConfig(raw: unknown, where: string): AppConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${where} must be an object such as {"entry": "server.js"}, got ${show(raw)}.`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const check = FIELDS[key as keyof AppConfig];
    if (check === undefined) {
      const near = closest(key, CONFIG_FIELDS);
      throw new ConfigError(
        `${where} has an unknown field "${key}"; ${near ? `did you mean "${near}"? ` : ""}the fields are ${CONFIG_FIELDS.join(", ")}.`,
      );
    }
    out[key] = check(value, `${where}.${key}`);
  }
  return out as AppConfig;
}

/** 3000, "3000" (the same port on the host) or "8080:3000". */
export function parsePort(value: unknown, where: string): PortMapping {
  const text = typeof value === "number" ? String(value) : typeof value === "string" ? value.trim() : undefined;
  const m = text === undefined ? null : /^(?:(\d+):)?(\d+)(?:\/tcp)?$/.exec(text);
  const valid = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;
  if (m) {
    const guest = Number(m[2]);
    const host = m[1] === undefined ? guest : Number(m[1]);
    if (valid(host) && valid(guest)) return { host, guest };
  }
  throw new ConfigError(`${where} must be a port such as 3000 or "HOST:GUEST" such as "8080:3000" (1 to 65535, TCP), got ${show(value)}.`);
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** The candidate within edit distance 2 of `word`, if any (for "did you mean"). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
