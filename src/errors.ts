// Every error a user can cause is one of these: a stable `code`, a one-sentence message that says
// what to do, and the exit status the CLI uses. Library code throws them; only cli.ts prints them.

export interface UninodeErrorOptions {
  cause?: unknown;
  exitCode?: number;
}

export class UninodeError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, message: string, options: UninodeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A mistake in how the CLI was called: exit status 2, like most Unix tools. */
export class UsageError extends UninodeError {
  constructor(message: string, code = "USAGE") {
    super(code, message, { exitCode: 2 });
  }
}

/** The message of an unknown thrown value, for wrapping it as a cause in a one-sentence error. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Node's system errors carry an errno name such as ENOENT. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}
