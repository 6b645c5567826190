// /etc/passwd and /etc/group for an image built from Debian packages: Debian's fixed system users
// and groups as base-passwd's master files list them, plus the users a recipe asks for, added the
// way `adduser --system --group` would: the first free id from 100 to 999, a group of the same
// name, home /nonexistent, shell /usr/sbin/nologin.

import { UninodeError } from "../errors.js";

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** A recipe's user: a name, or the fields adduser takes. */
export interface UserSpec {
  name: string;
  uid?: number;
  gid?: number;
  home?: string;
  shell?: string;
  groups?: string[];
}

/** adduser.conf's FIRST_SYSTEM_UID..LAST_SYSTEM_UID (and the same for gids). */
export const FIRST_SYSTEM_ID = 100;
export const LAST_SYSTEM_ID = 999;

export class UsersError extends UninodeError {
  constructor(message: string) {
    super("BAD_USERS", message);
  }
}

/** passwd(5) lines; malformed ones are skipped, as getpwent skips them. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length !== 7 || f[0] === "" || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) continue;
    out.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), gecos: f[4]!, home: f[5]!, shell: f[6]! });
  }
  return out;
}

/** group(5) lines. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length !== 4 || f[0] === "" || !/^\d+$/.test(f[2]!)) continue;
    out.push({ name: f[0]!, gid: Number(f[2]), members: f[3] === "" ? [] : f[3]!.split(",") });
  }
  return out;
}

/**
 * Adds `users` to the base lists, in order. Ids given explicitly are taken first; the others get
 * the lowest free id in the system range, the group the same number when it is free. `where`
 * names the recipe field in messages ("apps/mariadb/uninode.json.users").
 */
export function addSystemUsers(
  base: { passwd: PasswdEntry[]; group: GroupEntry[] },
  users: readonly UserSpec[],
  where: string,
): { passwd: PasswdEntry[]; group: GroupEntry[] } {
  const passwd = base.passwd.map((p) => ({ ...p }));
  const group = base.group.map((g) => ({ ...g, members: [...g.members] }));
  const usedUids = new Set(passwd.map((p) => p.uid));
  const usedGids = new Set(group.map((g) => g.gid));
  users.forEach((u, i) => {
    const w = `${where}[${i}]`;
    const prev = passwd.find((p) => p.name === u.name) ?? (users.slice(0, i).some((x) => x.name === u.name) ? { uid: users.find((x) => x.name === u.name)!.uid ?? "to be allocated" } : undefined);
    if (prev) throw new UsersError(`${w}: "${u.name}" is already a user (uid ${prev.uid}) in Debian's base-passwd or this recipe; leave it out or choose another name.`);
    if (group.some((g) => g.name === u.name) && u.gid === undefined) {
      throw new UsersError(`${w}: a group named "${u.name}" already exists; give "gid" to say which group the user belongs to.`);
    }
    if (u.uid !== undefined && usedUids.has(u.uid)) throw new UsersError(`${w}.uid ${u.uid} is already taken; choose another or leave uid out.`);
  });
  for (const u of users) if (u.uid !== undefined) usedUids.add(u.uid);
  const freeId = (used: Set<number>, what: string): number => {
    for (let id = FIRST_SYSTEM_ID; id <= LAST_SYSTEM_ID; id++) if (!used.has(id)) return id;
    throw new UsersError(`${where}: no free ${what} is left from ${FIRST_SYSTEM_ID} to ${LAST_SYSTEM_ID}.`);
  };
  users.forEach((u, i) => {
    const uid = u.uid ?? freeId(usedUids, "uid");
    usedUids.add(uid);
    let gid = u.gid;
    if (gid === undefined) {
      gid = usedGids.has(uid) ? freeId(usedGids, "gid") : uid;
      usedGids.add(gid);
      group.push({ name: u.name, gid, members: [] });
    } else if (!group.some((g) => g.gid === gid)) {
      // An explicit gid no group has yet: the user's own group gets it.
      if (group.some((g) => g.name === u.name)) throw new UsersError(`${where}[${i}].gid ${gid} is no group's, and a group "${u.name}" exists already.`);
      usedGids.add(gid);
      group.push({ name: u.name, gid, members: [] });
    }
    passwd.push({ name: u.name, uid, gid, gecos: "", home: u.home ?? "/nonexistent", shell: u.shell ?? "/usr/sbin/nologin" });
    for (const gname of u.groups ?? []) {
      const g = group.find((x) => x.name === gname);
      if (!g) throw new UsersError(`${where}[${i}].groups names "${gname}", which is no group in Debian's base-passwd or this recipe.`);
      if (!g.members.includes(u.name)) g.members.push(u.name);
    }
  });
  return { passwd, group };
}

export function renderPasswd(entries: readonly PasswdEntry[]): string {
  return entries.map((p) => `${p.name}:x:${p.uid}:${p.gid}:${p.gecos}:${p.home}:${p.shell}\n`).join("");
}

export function renderGroup(entries: readonly GroupEntry[]): string {
  return entries.map((g) => `${g.name}:x:${g.gid}:${g.members.join(",")}\n`).join("");
}
