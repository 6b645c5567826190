import { describe, expect, it } from "vitest";
import { flag, listOpt, parseArgs, stringOpt, type OptionSpec } from "../../src/args.js";
import { UsageError } from "../../src/errors.js";

const specs: OptionSpec[] = [
  { name: "exec", value: "PROGRAM", description: "" },
  { name: "memory", short: "m", value: "SIZE", description: "" },
  { name: "env", short: "e", value: "KEY=VALUE", repeatable: true, description: "" },
  { name: "verbose", description: "" },
];

describe("parseArgs", () => {
  it("reads long, short, attached and repeated options, positionals and the part after --", () => {
    const p = parseArgs(["--exec", "ls", "-m512M", "-e", "A=1", "--env=B=2", "img", "--verbose", "--", "-la", "--exec"], specs, "run");
    expect(stringOpt(p, "exec")).toBe("ls");
    expect(stringOpt(p, "memory")).toBe("512M");
    expect(listOpt(p, "env")).toEqual(["A=1", "B=2"]);
    expect(flag(p, "verbose")).toBe(true);
    expect(p.positionals).toEqual(["img"]);
    expect(p.passthrough).toEqual(["-la", "--exec"]);
  });

  it("distinguishes no -- from an empty one", () => {
    expect(parseArgs([], specs, "run").passthrough).toBeUndefined();
    expect(parseArgs(["--"], specs, "run").passthrough).toEqual([]);
  });

  it("rejects unknown options, missing values and values on flags, in one sentence", () => {
    expect(() => parseArgs(["--bogus"], specs, "run")).toThrow(UsageError);
    expect(() => parseArgs(["--bogus"], specs, "run")).toThrow("Unknown option --bogus for 'uninode run'; see 'uninode run --help'.");
    expect(() => parseArgs(["-l"], specs, "run")).toThrow(/put the program's own arguments after --/);
    expect(() => parseArgs(["--memory"], specs, "run")).toThrow(/--memory needs a value/);
    expect(() => parseArgs(["--verbose=yes"], specs, "run")).toThrow(/takes no value/);
  });
});
