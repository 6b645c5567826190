// The config's "network" and "hosts", --add-host, the kernel's ip= token they become, and the
// /etc files every image gets for names (/etc/hosts with additions, /etc/resolv.conf as a link
// into the /run the kernel writes).

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAddHost } from "../../src/commands/exec-options.js";
import { UninodeError } from "../../src/errors.js";
import { planExec } from "../../src/image/plan.js";
import { BASE_DIRS, systemFiles } from "../../src/image/system-files.js";
import { loadApp } from "../../src/node/app.js";
import { validateConfig } from "../../src/node/config.js";
import { planApp } from "../../src/node/pack.js";
import { describeNetwork, imageNetwork, ipToken } from "../../src/vm/ip-token.js";

const networkTokens = (manifest: unknown) => [ipToken(imageNetwork(manifest))].filter((t) => t !== undefined);
import { HELLO_C, compileC, tempDir } from "./helpers.js";

const tmp = tempDir();
let hello: string;
beforeAll(() => {
  hello = compileC(tmp.dir, "hello", HELLO_C);
});
afterAll(() => tmp.cleanup());

const where = 'package.json "uninode"';
/** The message a config gets, or "valid"; every message is one sentence. */
const msg = (raw: unknown): string => {
  try {
    validateConfig(raw, where);
  } catch (err) {
    const m = (err as Error).message;
    expect(m).toMatch(/^[^\n]+\.$/);
    return m;
  }
  return "valid";
};

describe("the network field", () => {
  it("accepts a static address with gateway and DNS, DNS alone, and dhcp", () => {
    const stat = { address: "10.0.2.15/24", gateway: "10.0.2.2", dns: ["10.0.2.3"] };
    expect(validateConfig({ network: stat }, where)).toEqual({ network: stat });
    expect(validateConfig({ network: { address: "192.168.1.9/32" } }, where)).toEqual({ network: { address: "192.168.1.9/32" } });
    expect(validateConfig({ network: { dns: ["1.1.1.1", "8.8.8.8"] } }, where)).toEqual({ network: { dns: ["1.1.1.1", "8.8.8.8"] } });
    expect(validateConfig({ network: "dhcp" }, where)).toEqual({ network: "dhcp" });
  });

  it("names the field, what it expects and what it got", () => {
    expect(msg({ network: "static" })).toBe(
      'package.json "uninode".network must be "dhcp" or an object such as {"address": "10.0.2.15/24", "gateway": "10.0.2.2", "dns": ["10.0.2.3"]}, got "static".',
    );
    expect(msg({ network: { address: "10.0.2.15" } })).toBe(
      'package.json "uninode".network.address must be an IPv4 address with its prefix length such as "10.0.2.15/24", got "10.0.2.15".',
    );
    expect(msg({ network: { address: "10.0.2.256/24" } })).toMatch(/\.network\.address must be an IPv4 address with its prefix length/);
    expect(msg({ network: { address: "10.0.2.15/33" } })).toMatch(/\.network\.address must be/);
    expect(msg({ network: { address: "10.0.2.15/0" } })).toMatch(/\.network\.address must be/);
    expect(msg({ network: { address: "010.0.2.15/24" } })).toMatch(/\.network\.address must be/);
    expect(msg({ network: { address: "10.0.2.15/24", gateway: "gw" } })).toBe('package.json "uninode".network.gateway must be an IPv4 address such as "10.0.2.2", got "gw".');
    expect(msg({ network: { address: "10.0.2.15/24", gateway: "10.0.3.1" } })).toBe(
      'package.json "uninode".network.gateway 10.0.3.1 is not another address on the network of package.json "uninode".network.address 10.0.2.15/24; give a gateway inside that network.',
    );
    expect(msg({ network: { address: "10.0.2.15/24", gateway: "10.0.2.15" } })).toMatch(/gateway 10\.0\.2\.15 is not another address/);
    expect(msg({ network: { address: "10.0.2.15/16", gateway: "10.0.3.1" } })).toBe("valid");
    expect(msg({ network: { gateway: "10.0.2.2", dns: ["10.0.2.3"] } })).toBe(
      'package.json "uninode".network.gateway needs package.json "uninode".network.address: with DHCP the gateway comes from DHCP; add "address" or drop "gateway".',
    );
    expect(msg({ network: { address: "10.0.2.15/24", dns: "10.0.2.3" } })).toBe(
      'package.json "uninode".network.dns must be a list of one or two IPv4 addresses such as ["10.0.2.3"], got "10.0.2.3".',
    );
    expect(msg({ network: { address: "10.0.2.15/24", dns: ["1.1.1.1", "8.8.8.8", "9.9.9.9"] } })).toMatch(/\.network\.dns must be a list of one or two/);
    expect(msg({ network: { address: "10.0.2.15/24", dns: ["::1"] } })).toMatch(/\.network\.dns must be a list of one or two IPv4/);
    expect(msg({ network: {} })).toBe('package.json "uninode".network must give "address" (a static address) or "dns" (servers over DHCP\'s), or be "dhcp".');
    expect(msg({ network: { adress: "10.0.2.15/24" } })).toBe(
      'package.json "uninode".network has an unknown field "adress"; did you mean "address"? the fields are address, gateway, dns.',
    );
  });
});

describe("the hosts field", () => {
  it("accepts names to IPv4 and IPv6 addresses", () => {
    const hosts = { "db.internal": "10.0.2.2", cache: "fd00::5" };
    expect(validateConfig({ hosts }, where)).toEqual({ hosts });
  });

  it("names the bad name or address", () => {
    expect(msg({ hosts: ["db.internal"] })).toMatch(/\.hosts must be an object of host names to addresses such as \{"db.internal": "10.0.2.2"\}, got \["db.internal"\]\./);
    expect(msg({ hosts: { "db internal": "10.0.2.2" } })).toBe(
      'package.json "uninode".hosts has the name "db internal", which is not a host name; use letters, digits, hyphens and dots, such as "db.internal".',
    );
    expect(msg({ hosts: { "-db": "10.0.2.2" } })).toMatch(/has the name "-db", which is not a host name/);
    expect(msg({ hosts: { db: "10.0.2" } })).toBe('package.json "uninode".hosts.db must be an IPv4 or IPv6 address such as "10.0.2.2" or "fd00::2", got "10.0.2".');
    expect(msg({ hosts: { db: 10 } })).toMatch(/\.hosts\.db must be an IPv4 or IPv6 address/);
  });
});

describe("the ip= token", () => {
  it("renders Linux's ip= syntax: static with prefix, gateway and up to two DNS servers; DNS over DHCP; dhcp", () => {
    expect(ipToken({ address: "10.0.2.15/24", gateway: "10.0.2.2", dns: ["10.0.2.3"] })).toBe("ip=10.0.2.15/24::10.0.2.2::::off:10.0.2.3");
    expect(ipToken({ address: "10.0.2.15/24", dns: ["1.1.1.1", "8.8.8.8"] })).toBe("ip=10.0.2.15/24::::::off:1.1.1.1:8.8.8.8");
    expect(ipToken({ address: "10.0.2.15/24" })).toBe("ip=10.0.2.15/24::::::off");
    expect(ipToken({ dns: ["9.9.9.9"] })).toBe("ip=::::::dhcp:9.9.9.9");
    expect(ipToken("dhcp")).toBe("ip=dhcp");
    expect(ipToken(undefined)).toBeUndefined();
  });

  it("inspect says it in words", () => {
    expect(describeNetwork({ address: "10.0.2.15/24", gateway: "10.0.2.2", dns: ["10.0.2.3", "10.0.2.4"] })).toBe("10.0.2.15/24 gateway 10.0.2.2 dns 10.0.2.3, 10.0.2.4");
    expect(describeNetwork({ dns: ["9.9.9.9"] })).toBe("dhcp dns 9.9.9.9");
    expect(describeNetwork("dhcp")).toBe("dhcp");
  });

  it("comes from the image's manifest, which is checked again", () => {
    expect(networkTokens({ exec: "/app/x" })).toEqual([]);
    expect(networkTokens({ network: { address: "10.0.2.15/24", gateway: "10.0.2.2" } })).toEqual(["ip=10.0.2.15/24::10.0.2.2::::off"]);
    let err: unknown;
    try {
      networkTokens({ network: { address: "10.0.2.15/24 trace" } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UninodeError);
    expect((err as UninodeError).message).toBe(
      'network.address must be an IPv4 address with its prefix length such as "10.0.2.15/24", got "10.0.2.15/24 trace" in the image\'s manifest; rebuild the image.',
    );
  });
});

describe("/etc/hosts and /etc/resolv.conf in the image", () => {
  it("every image has /run, and /etc/resolv.conf is a link to the file the kernel writes there", async () => {
    expect(BASE_DIRS).toContain("/run");
    const files = await systemFiles({ env: [] });
    expect(files.find((e) => e.imagePath === "/run")).toEqual({ type: "dir", imagePath: "/run", mode: 0o755 });
    expect(files.filter((e) => e.imagePath === "/etc/resolv.conf")).toEqual([{ type: "symlink", imagePath: "/etc/resolv.conf", target: "../run/resolv.conf" }]);
  });

  it("/etc/hosts is a link to /run/hosts, which holds the image's lines (the kernel adds the network peers' at boot)", async () => {
    const files = await systemFiles({ env: [] });
    expect(files.filter((e) => e.imagePath === "/etc/hosts")).toEqual([{ type: "symlink", imagePath: "/etc/hosts", target: "../run/hosts" }]);
    expect(files.filter((e) => e.imagePath === "/run/hosts").map((e) => e.type)).toEqual(["data"]);
  });

  it("appends the added names to /etc/hosts, after localhost", async () => {
    const hostsOf = (entries: Awaited<ReturnType<typeof systemFiles>>) => {
      const e = entries.find((x) => x.imagePath === "/run/hosts");
      return e?.type === "data" ? e.content.toString() : undefined;
    };
    const plain = hostsOf(await systemFiles({ env: [] }));
    expect(plain).toMatch(/^127\.0\.0\.1\tlocalhost\n/);
    const added = hostsOf(await systemFiles({ env: [], hosts: [["db.internal", "10.0.2.2"], ["cache", "fd00::5"]] }));
    expect(added).toBe(`${plain}10.0.2.2\tdb.internal\nfd00::5\tcache\n`);
  });

  it("--add-host NAME:ADDRESS, as docker spells it, reaches an --exec image's /etc/hosts", async () => {
    expect(parseAddHost("db.internal:10.0.2.2")).toEqual(["db.internal", "10.0.2.2"]);
    expect(parseAddHost("v6:fd00::2")).toEqual(["v6", "fd00::2"]);
    expect(parseAddHost("v6:[fd00::2]")).toEqual(["v6", "fd00::2"]);
    expect(() => parseAddHost("db.internal")).toThrow('--add-host expects NAME:ADDRESS such as db.internal:10.0.2.2, got "db.internal".');
    expect(() => parseAddHost("db_x:10.0.2.2")).toThrow('--add-host db_x:10.0.2.2: "db_x" is not a host name; use letters, digits, hyphens and dots.');
    expect(() => parseAddHost("db:10.0.2")).toThrow('--add-host db:10.0.2: "10.0.2" is not an IPv4 or IPv6 address.');
    const plan = await planExec({ program: hello, args: [], env: [], adds: [], hosts: [parseAddHost("db.internal:10.0.2.2")] });
    const hosts = plan.entries.get("/run/hosts");
    expect(hosts?.type === "data" && hosts.content.toString()).toMatch(/\n10\.0\.2\.2\tdb\.internal\n$/);
  });

  it("an app's config puts its hosts in /etc/hosts and its network in the manifest", async () => {
    const dir = path.join(tmp.dir, "app");
    mkdirSync(dir, { recursive: true });
    const network = { address: "10.0.2.15/24", gateway: "10.0.2.2", dns: ["10.0.2.3"] };
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "a", uninode: { network, hosts: { "db.internal": "10.0.2.2" } } }));
    writeFileSync(path.join(dir, "index.js"), "");
    const { plan } = await planApp(await loadApp(dir, "a"), { runtime: { path: hello, version: "20.11.0", source: "host" }, env: [] });
    expect(plan.meta?.network).toEqual(network);
    const hosts = plan.entries.get("/run/hosts");
    expect(hosts?.type === "data" && hosts.content.toString()).toMatch(/\n10\.0\.2\.2\tdb\.internal\n$/);
  });
});
