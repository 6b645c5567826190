import { describe, expect, it } from "vitest";
import { escapeBootValue, parseBootFile, renderBootFile, unescapeBootValue } from "../../src/image/manifest.js";
import { mergeEnv, parseAddSpec } from "../../src/image/plan.js";
import { UsageError } from "../../src/errors.js";

describe("the boot file", () => {
  it("escapes backslash, newline and tab C-style, and nothing else", () => {
    expect(escapeBootValue("a\\b\nc\td e=f")).toBe("a\\\\b\\nc\\td e=f");
    expect(unescapeBootValue("a\\\\b\\nc\\td")).toBe("a\\b\nc\td");
  });

  it("lists exec, args in order, env and cwd", () => {
    const boot = { exec: "/app/hello", argv: ["hello", "two words", "new\nline"], env: ["PATH=/bin", "HOME=/"], cwd: "/app" };
    const text = renderBootFile(boot);
    expect(text).toBe("exec /app/hello\narg hello\narg two words\narg new\\nline\nenv PATH=/bin\nenv HOME=/\ncwd /app\n");
    expect(parseBootFile(text)).toEqual(boot);
  });

  it("keeps empty arguments", () => {
    const boot = { exec: "/app/x", argv: ["x", ""], env: [], cwd: "/app" };
    expect(parseBootFile(renderBootFile(boot))).toEqual(boot);
  });
});

describe("plan helpers", () => {
  it("lets later -e values replace earlier ones in place", () => {
    expect(mergeEnv(["PATH=/bin", "HOME=/"], ["A=1", "PATH=/x", "A=2"])).toEqual(["PATH=/x", "HOME=/", "A=2"]);
  });

  it("parses --add HOSTPATH:IMAGEPATH at the last colon", () => {
    expect(parseAddSpec("./data:/srv/data/")).toEqual({ host: "./data", image: "/srv/data" });
    expect(parseAddSpec("a:b:/x")).toEqual({ host: "a:b", image: "/x" });
    expect(() => parseAddSpec("./data")).toThrow(UsageError);
    expect(() => parseAddSpec("./data:relative")).toThrow(/absolute IMAGEPATH/);
    expect(() => parseAddSpec("x:/.uninode/boot")).toThrow(/belongs to uninode/);
  });
});
