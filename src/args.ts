// A small command-line parser: long options (--name value, --name=value), short options
// (-m value, -m256M), flags, repeatable options, positionals, and `--` after which everything
// is passed through untouched (the program's own arguments).

import { UsageError } from "./errors.js";

export interface OptionSpec {
  /** Long name without dashes: "memory". */
  name: string;
  /** One letter without the dash: "m". */
  short?: string;
  /** Placeholder shown in help for an option that takes a value ("SIZE"); absent for flags. */
  value?: string;
  repeatable?: boolean;
  description: string;
}

export interface ParsedArgs {
  /** Values by long name: a string (last one wins), a string[] (repeatable) or true (flag). */
  options: Map<string, string | string[] | true>;
  positionals: string[];
  /** What followed `--`; undefined when there was no `--`. */
  passthrough: string[] | undefined;
}

/** Parses `argv` (the words after the command name) against `specs`; `command` is for messages. */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], command: string): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const out: ParsedArgs = { options: new Map(), positionals: [], passthrough: undefined };
  const help = `see 'uninode ${command} --help'`;

  const set = (spec: OptionSpec, value: string | true) => {
    if (value === true) {
      out.options.set(spec.name, true);
    } else if (spec.repeatable) {
      const prev = out.options.get(spec.name);
      out.options.set(spec.name, [...(Array.isArray(prev) ? prev : []), value]);
    } else {
      out.options.set(spec.name, value);
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") {
      out.passthrough = argv.slice(i + 1);
      break;
    }
    if (word.startsWith("--")) {
      const eq = word.indexOf("=");
      const name = eq === -1 ? word.slice(2) : word.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`Unknown option --${name} for 'uninode ${command}'; ${help}.`);
      if (spec.value === undefined) {
        if (eq !== -1) throw new UsageError(`--${name} takes no value; ${help}.`);
        set(spec, true);
        continue;
      }
      const value = eq !== -1 ? word.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value (${spec.value}); ${help}.`);
      set(spec, value);
      continue;
    }
    if (word.startsWith("-") && word.length > 1) {
      const letter = word[1]!;
      const spec = byShort.get(letter);
      if (!spec) {
        throw new UsageError(
          `Unknown option ${word} for 'uninode ${command}'; put the program's own arguments after --, or ${help}.`,
        );
      }
      if (spec.value === undefined) {
        if (word.length > 2) throw new UsageError(`Unknown option ${word} for 'uninode ${command}'; ${help}.`);
        set(spec, true);
        continue;
      }
      const value = word.length > 2 ? word.slice(2) : argv[++i];
      if (value === undefined) throw new UsageError(`-${letter} needs a value (${spec.value}); ${help}.`);
      set(spec, value);
      continue;
    }
    out.positionals.push(word);
  }
  return out;
}

export function flag(p: ParsedArgs, name: string): boolean {
  return p.options.get(name) === true;
}

export function stringOpt(p: ParsedArgs, name: string): string | undefined {
  const v = p.options.get(name);
  return typeof v === "string" ? v : undefined;
}

export function listOpt(p: ParsedArgs, name: string): string[] {
  const v = p.options.get(name);
  return Array.isArray(v) ? v : [];
}

/** Help text for a command's options, aligned in two columns. */
export function formatOptions(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const names = [s.short ? `-${s.short}` : undefined, `--${s.name}`].filter(Boolean).join(", ");
    return [`${names}${s.value ? ` ${s.value}` : ""}`, s.description] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, d]) => `  ${l.padEnd(width)}${d}`).join("\n");
}
