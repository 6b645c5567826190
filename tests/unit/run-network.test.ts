// `run --ip/--gateway/--dns` over the image's recorded network, and the kernel token they become.

import { describe, expect, it } from "vitest";
import { ipToken } from "../../src/vm/ip-token.js";
import { runNetwork } from "../../src/vm/run-network.js";

const image = { address: "10.78.0.2/24", gateway: "10.78.0.1", dns: ["10.78.0.1"] };

describe("run --ip/--gateway/--dns", () => {
  it("keeps the image's network without flags", () => {
    expect(runNetwork(image, { dns: [] })).toBe(image);
    expect(runNetwork(undefined, { dns: [] })).toBeUndefined();
  });

  it("replaces the whole configuration with a new address", () => {
    expect(ipToken(runNetwork(image, { ip: "10.78.0.3/24", dns: [] }))).toBe("ip=10.78.0.3/24::::::off");
    expect(ipToken(runNetwork(image, { ip: "10.78.0.3/24", gateway: "10.78.0.1", dns: ["1.1.1.1", "9.9.9.9"] }))).toBe(
      "ip=10.78.0.3/24::10.78.0.1::::off:1.1.1.1:9.9.9.9",
    );
  });

  it("changes only the DNS servers when given alone, over a static image or DHCP", () => {
    expect(runNetwork(image, { dns: ["1.1.1.1"] })).toEqual({ ...image, dns: ["1.1.1.1"] });
    expect(ipToken(runNetwork(undefined, { dns: ["1.1.1.1"] }))).toBe("ip=::::::dhcp:1.1.1.1");
  });

  it("--ip dhcp drops the image's static address", () => {
    expect(ipToken(runNetwork(image, { ip: "dhcp", dns: [] }))).toBe("ip=dhcp");
  });

  it("refuses mistakes in one sentence naming the flag", () => {
    expect(() => runNetwork(undefined, { ip: "10.0.2.16", dns: [] })).toThrow(/^--ip must be an IPv4 address with its prefix length such as 10\.0\.2\.16\/24, or dhcp, got "10\.0\.2\.16"\.$/);
    expect(() => runNetwork(undefined, { gateway: "10.0.2.2", dns: [] })).toThrow(/^--gateway needs --ip ADDRESS\/PREFIX/);
    expect(() => runNetwork(undefined, { ip: "dhcp", gateway: "10.0.2.2", dns: [] })).toThrow(/^--gateway goes with a static --ip/);
    expect(() => runNetwork(undefined, { ip: "10.0.2.16/24", gateway: "10.9.9.9", dns: [] })).toThrow(
      /^--gateway 10\.9\.9\.9 is not another address on the network of --ip 10\.0\.2\.16\/24; give a gateway inside that network\.$/,
    );
    expect(() => runNetwork(undefined, { dns: ["dns.example"] })).toThrow(/^--dns must be an IPv4 address/);
    expect(() => runNetwork(undefined, { dns: ["1.1.1.1", "1.0.0.1", "9.9.9.9"] })).toThrow(/at most two DNS servers/);
  });
});
