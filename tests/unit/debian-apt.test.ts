// Reading apt's output: the simulated install's `Inst` lines and deb822 control stanzas.

import { describe, expect, it } from "vitest";
import { parseControl, parseSimulation } from "../../src/debian/apt.js";
import { isDropped } from "../../src/debian/plan.js";

describe("parseSimulation", () => {
  it("takes every Inst line in order, with epochs, multiarch names, [old] versions and several origins", () => {
    const out = `Reading package lists...
Building dependency tree...
The following NEW packages will be installed:
  gcc-12-base hello libc6 libgcc-s1
Inst gcc-12-base (12.2.0-14+deb12u1 Debian:12.15/oldstable [amd64])
Inst libgcc-s1 (12.2.0-14+deb12u1 Debian:12.15/oldstable [amd64]) []
Inst zlib1g (1:1.2.13.dfsg-1+deb12u1 Debian-Security:12/oldstable-security [amd64])
Inst libkrb5support0 (1.20.1-2+deb12u5 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64])
Inst perl-modules-5.36 (5.36.0-7+deb12u4 Debian-Security:12/oldstable-security [all])
Inst libfoo1:i386 [1.0-1] (1.0-2 Debian:12 [i386])
Conf gcc-12-base (12.2.0-14+deb12u1 Debian:12.15/oldstable [amd64])
`;
    expect(parseSimulation(out)).toEqual([
      { name: "gcc-12-base", version: "12.2.0-14+deb12u1", arch: "amd64" },
      { name: "libgcc-s1", version: "12.2.0-14+deb12u1", arch: "amd64" },
      { name: "zlib1g", version: "1:1.2.13.dfsg-1+deb12u1", arch: "amd64" },
      { name: "libkrb5support0", version: "1.20.1-2+deb12u5", arch: "amd64" },
      { name: "perl-modules-5.36", version: "5.36.0-7+deb12u4", arch: "all" },
      { name: "libfoo1", version: "1.0-2", arch: "i386" },
    ]);
  });

  it("finds nothing in output without Inst lines", () => {
    expect(parseSimulation("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n")).toEqual([]);
  });
});

describe("parseControl", () => {
  it("splits stanzas on blank lines and joins continuation lines", () => {
    const text = `Package: hello
Version: 2.10-3
Replaces: hello-debhelper (<< 2.9), hello-traditional
Description: example package based on GNU hello
 The GNU hello program produces a familiar, friendly greeting.
 .
SHA256: 2e6e2f1a0007dc43bc91c273fd36e91e40a4f1c2765a03eca68b70a42103878a

Package: libc6
Version: 2.36-9+deb12u14
`;
    const s = parseControl(text);
    expect(s).toHaveLength(2);
    expect(s[0]!["Replaces"]).toBe("hello-debhelper (<< 2.9), hello-traditional");
    expect(s[0]!["Description"]).toBe("example package based on GNU hello\nThe GNU hello program produces a familiar, friendly greeting.\n.");
    expect(s[0]!["SHA256"]).toMatch(/^2e6e/);
    expect(s[1]).toEqual({ Package: "libc6", Version: "2.36-9+deb12u14" });
  });
});

describe("what an image leaves out of the packages", () => {
  it("drops documentation but keeps each package's copyright and its doc directory or link", () => {
    expect(isDropped("/usr/share/doc/hello/changelog.Debian.gz")).toBe(true);
    expect(isDropped("/usr/share/doc/hello/copyright")).toBe(false);
    expect(isDropped("/usr/share/doc/hello")).toBe(false);
    expect(isDropped("/usr/share/doc/libgcc-s1")).toBe(false); // a symlink to gcc-12-base's
    expect(isDropped("/usr/share/man/man1/hello.1.gz")).toBe(true);
    expect(isDropped("/usr/share/man")).toBe(true);
    expect(isDropped("/usr/share/info/hello.info.gz")).toBe(true);
    expect(isDropped("/usr/share/lintian/overrides/libc6")).toBe(true);
    expect(isDropped("/usr/share/locale/de/LC_MESSAGES/hello.mo")).toBe(false);
    expect(isDropped("/usr/share/manual")).toBe(false);
  });
});
