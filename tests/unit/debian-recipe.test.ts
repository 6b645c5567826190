// Recipe validation: every mistake is one sentence naming the recipe file and the field, and a
// directory is a recipe only by its uninode.json's "debian" with no package.json beside it.

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isRecipeDir, validateRecipe } from "../../src/debian/recipe.js";
import { tempDir } from "./helpers.js";

const where = { dir: "/r", label: "apps/x", file: "apps/x/uninode.json" };
const ok = { debian: ["nginx-light"], exec: "/usr/sbin/nginx" };
const check = (extra: Record<string, unknown>) => () => validateRecipe({ ...ok, ...extra }, where);

describe("validateRecipe", () => {
  it("accepts the full set of fields and normalizes them as a Node app's config does", () => {
    const r = validateRecipe(
      {
        ...ok,
        args: ["-g", "daemon off;"],
        env: { A: "1" },
        files: ["nginx.conf:/etc/nginx/nginx.conf"],
        ports: ["8080:80", 443],
        users: ["mysql", { name: "app", uid: 150, groups: ["adm"] }],
        volumes: ["dbdata:/var/lib/mysql"],
        memory: "512m",
        cpus: 1,
        cwd: "/var/lib/",
        programs: { "/usr/local/sbin/entrypoint": "entrypoint.c" },
      },
      where,
    );
    expect(r.ports).toEqual([{ host: 8080, guest: 80 }, { host: 443, guest: 443 }]);
    expect(r.memory).toBe("512M");
    expect(r.cwd).toBe("/var/lib");
    expect(r.users).toEqual([{ name: "mysql" }, { name: "app", uid: 150, groups: ["adm"] }]);
  });

  it("says what is wrong with each field in one sentence", () => {
    expect(check({ debian: 3 })).toThrow('apps/x/uninode.json: "debian" must be a list of package names such as ["nginx-light"], got 3.');
    expect(check({ debian: [] })).toThrow('"debian" must be a list of package names such as ["nginx-light"], got [].');
    expect(check({ debian: ["Nginx"] })).toThrow('and "Nginx" is not one.');
    expect(check({ exec: "nginx" })).toThrow('apps/x/uninode.json: "exec" must be the program\'s absolute path inside the packages');
    expect(check({ ports: ["80:x"] })).toThrow('apps/x/uninode.json: "ports"[0] must be a port');
    expect(check({ env: { A: 1 } })).toThrow('"env".A must be a string');
    expect(check({ memory: "lots" })).toThrow('"memory" must be a size');
    expect(check({ users: ["Bad Name"] })).toThrow('"users"[0] must be a user name');
    expect(check({ users: [{ name: "a", uid: -1 }] })).toThrow('"users"[0].uid must be a whole number');
    expect(check({ users: [{ name: "a", home: "x" }] })).toThrow('"users"[0].home must be an absolute path');
    expect(check({ programs: { "/x": "/abs/x.c" } })).toThrow('"programs"./x must be a C source file relative to the recipe');
    expect(check({ programs: { "x": "x.c" } })).toThrow('"programs" has the image path "x"');
    expect(check({ debain: ["x"] })).toThrow('apps/x/uninode.json has an unknown field "debain"; did you mean "debian"?');
    expect(() => validateRecipe([], where)).toThrow("apps/x/uninode.json must hold an object");
  });
});

describe("isRecipeDir", () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());
  const make = (name: string, files: Record<string, string>) => {
    const d = path.join(tmp.dir, name);
    mkdirSync(d);
    for (const [f, text] of Object.entries(files)) writeFileSync(path.join(d, f), text);
    return d;
  };

  it("is a recipe by a uninode.json with \"debian\" and no package.json", async () => {
    expect(await isRecipeDir(make("r", { "uninode.json": JSON.stringify(ok) }), "r")).toBe(true);
    expect(await isRecipeDir(make("app", { "uninode.json": '{"entry": "server.js"}', "package.json": "{}" }), "app")).toBe(false);
    expect(await isRecipeDir(make("none", {}), "none")).toBe(false);
    expect(await isRecipeDir(make("broken", { "uninode.json": "{" }), "broken")).toBe(false);
  });

  it("refuses a directory that is both a recipe and a Node app", async () => {
    const d = make("both", { "uninode.json": JSON.stringify(ok), "package.json": "{}" });
    await expect(isRecipeDir(d, "both")).rejects.toThrow('both/uninode.json has "debian" (a recipe of Debian packages) but both also has a package.json');
  });
});
