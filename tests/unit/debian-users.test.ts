// /etc/passwd and /etc/group for Debian images: base-passwd's master files plus a recipe's users,
// allocated as `adduser --system --group` does.

import { describe, expect, it } from "vitest";
import { addSystemUsers, parseGroup, parsePasswd, renderGroup, renderPasswd } from "../../src/debian/users.js";

const PASSWD = `root:*:0:0:root:/root:/bin/bash
daemon:*:1:1:daemon:/usr/sbin:/usr/sbin/nologin
www-data:*:33:33:www-data:/var/www:/usr/sbin/nologin
nobody:*:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
`;
const GROUP = `root:*:0:
adm:*:4:
www-data:*:33:
users:*:100:
nogroup:*:65534:
`;
const base = () => ({ passwd: parsePasswd(PASSWD), group: parseGroup(GROUP) });

describe("addSystemUsers", () => {
  it("gives the first free system uid, and the same gid unless a group has it", () => {
    const r = addSystemUsers(base(), [{ name: "mysql" }, { name: "redis" }], "users");
    // uid 100 is free; gid 100 is "users", so mysql's group is the next free gid.
    expect(r.passwd.find((p) => p.name === "mysql")).toEqual({ name: "mysql", uid: 100, gid: 101, gecos: "", home: "/nonexistent", shell: "/usr/sbin/nologin" });
    expect(r.passwd.find((p) => p.name === "redis")).toMatchObject({ uid: 101, gid: 102 });
    expect(r.group.filter((g) => g.gid >= 100 && g.gid < 1000).map((g) => [g.name, g.gid])).toEqual([["users", 100], ["mysql", 101], ["redis", 102]]);
  });

  it("takes explicit ids first, adds supplementary groups, and keeps the base lists untouched", () => {
    const b = base();
    const r = addSystemUsers(b, [{ name: "first" }, { name: "app", uid: 100, home: "/srv/app", groups: ["adm", "www-data"] }], "users");
    // app's uid 100 is reserved before "first" is allocated (101, group 101); gid 100 is "users",
    // so app's own group is the next free one.
    expect(r.passwd.find((p) => p.name === "first")).toMatchObject({ uid: 101, gid: 101 });
    expect(r.passwd.find((p) => p.name === "app")).toMatchObject({ uid: 100, gid: 102, home: "/srv/app" });
    expect(r.group.find((g) => g.name === "adm")!.members).toEqual(["app"]);
    expect(r.group.find((g) => g.name === "www-data")!.members).toEqual(["app"]);
    expect(b.group.find((g) => g.name === "adm")!.members).toEqual([]);
    expect(renderGroup(r.group)).toContain("adm:x:4:app\n");
    expect(renderPasswd(r.passwd)).toContain("app:x:100:");
  });

  it("puts a user with an existing gid in that group without making another", () => {
    const r = addSystemUsers(base(), [{ name: "web", gid: 33 }], "users");
    expect(r.passwd.find((p) => p.name === "web")).toMatchObject({ uid: 100, gid: 33 });
    expect(r.group.some((g) => g.name === "web")).toBe(false);
  });

  it("refuses a name or uid that is taken, and an unknown group, naming the entry", () => {
    expect(() => addSystemUsers(base(), [{ name: "www-data" }], 'r/uninode.json: "users"')).toThrow(
      'r/uninode.json: "users"[0]: "www-data" is already a user (uid 33)',
    );
    expect(() => addSystemUsers(base(), [{ name: "a", uid: 33 }], "users")).toThrow("users[0].uid 33 is already taken");
    expect(() => addSystemUsers(base(), [{ name: "a", groups: ["wheel"] }], "users")).toThrow('users[0].groups names "wheel"');
    expect(() => addSystemUsers(base(), [{ name: "a" }, { name: "a" }], "users")).toThrow('users[1]: "a" is already a user');
  });
});
