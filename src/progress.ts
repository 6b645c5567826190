// Progress of the long steps (fetching Node, packing and hashing files, writing the image,
// booting) on stderr. On a terminal each step is one live line redrawn in place — how much of
// how much is done, and for how long — that ends as a plain summary line with the duration.
// Anywhere else (a pipe, CI, --json) a step is at most the one plain line printed when it
// starts, as uninode always printed, so logs never hold control characters.

export type Unit = "files" | "bytes";

export interface StepOptions {
  /** What update() counts; without it the live line shows only the time taken. */
  unit?: Unit;
  /** Also say the step as a plain line off a terminal (the steps uninode has always named). */
  plain?: boolean;
}

export interface Step {
  /** How much is done, and of how much once that is known. */
  update(done: number, total?: number): void;
  /** A new part of the step with its own count ("mke2fs", "assembling"). */
  phase(name: string, unit?: Unit): void;
  /** Done: the live line becomes `LABEL (DETAIL, 1.2 s)`; DETAIL defaults to the last count. */
  end(detail?: string): void;
  /** Given up (an error follows): the live line is cleared, no summary. */
  cancel(): void;
}

export type StartStep = (label: string, options?: StepOptions) => Step;

export interface ProgressOptions {
  stream: NodeJS.WritableStream & { columns?: number };
  /** Redraw steps in place (stderr is a terminal, not CI, not --json). */
  live: boolean;
  /** Say anything at all (live, or --verbose). */
  chatty: boolean;
  /** Milliseconds between redraws; 100 = at most ten a second. */
  interval?: number;
}

const CLEAR = "\r\x1b[K";

export class Progress {
  private current: LiveStep | undefined;
  private readonly interval: number;

  constructor(private readonly o: ProgressOptions) {
    this.interval = o.interval ?? 100;
  }

  /** A line of its own: on a terminal it goes above the live line, which is drawn again. */
  line(message: string): void {
    if (!this.o.chatty) return;
    if (this.current) this.o.stream.write(CLEAR);
    this.o.stream.write(`uninode: ${message}\n`);
    this.current?.draw(true);
  }

  readonly step: StartStep = (label, options = {}) => {
    if (!this.o.live) {
      if (options.plain) this.line(label);
      return QUIET_STEP;
    }
    // One live line at a time: a step that starts ends the one before it.
    this.current?.end();
    const step = new LiveStep(label, options.unit, this.o.stream, this.interval, () => {
      if (this.current === step) this.current = undefined;
    });
    this.current = step;
    step.draw(true);
    return step;
  };
}

const QUIET_STEP: Step = { update() {}, phase() {}, end() {}, cancel() {} };

/** Live lines not yet ended: an error message must not be printed onto one. */
const active = new Set<LiveStep>();

/** Clears every live line (cli.ts, before it prints an error). */
export function cancelLiveSteps(): void {
  for (const s of [...active]) s.cancel();
}

/** A StartStep over a plain message callback: the label said once when the step starts. */
export function plainSteps(say: ((message: string) => void) | undefined): StartStep {
  return (label) => {
    say?.(label);
    return QUIET_STEP;
  };
}

class LiveStep implements Step {
  private readonly started = Date.now();
  private lastDraw = -Infinity;
  private lastText = "";
  private done = 0;
  private total: number | undefined;
  private part: string | undefined;
  private finished = false;
  private readonly ticker: NodeJS.Timeout;

  constructor(
    private readonly label: string,
    private unit: Unit | undefined,
    private readonly stream: NodeJS.WritableStream & { columns?: number },
    private readonly interval: number,
    private readonly onFinish: () => void,
  ) {
    // The elapsed time moves even while nothing is counted (npm fetching, mke2fs running).
    this.ticker = setInterval(() => this.draw(false), interval * 5);
    this.ticker.unref();
    active.add(this);
  }

  update(done: number, total?: number): void {
    this.done = done;
    if (total !== undefined) this.total = total;
    this.draw(false);
  }

  phase(name: string, unit?: Unit): void {
    this.part = name;
    this.unit = unit;
    this.done = 0;
    this.total = undefined;
    this.draw(true);
  }

  end(detail?: string): void {
    if (!this.finish()) return;
    const what = detail ?? (this.unit !== undefined && (this.done > 0 || this.total !== undefined) ? formatCount(this.unit, this.total ?? this.done) : undefined);
    const summary = [what, formatDuration(Date.now() - this.started)].filter((s) => s !== undefined).join(", ");
    this.stream.write(`${CLEAR}uninode: ${this.label} (${summary})\n`);
  }

  cancel(): void {
    if (this.finish()) this.stream.write(CLEAR);
  }

  /** Redraws the line, at most once per interval unless forced. */
  draw(force: boolean): void {
    if (this.finished) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < this.interval) return;
    this.lastDraw = now;
    const parts = [`uninode: ${this.label}`];
    if (this.part !== undefined) parts.push(`— ${this.part}`);
    if (this.unit !== undefined && (this.done > 0 || this.total !== undefined)) parts.push(formatProgress(this.unit, this.done, this.total));
    const elapsed = now - this.started;
    if (elapsed >= 1000) parts.push(formatDuration(elapsed));
    let text = parts.join(" ");
    const width = this.stream.columns;
    if (width !== undefined && width > 1 && text.length > width - 1) text = text.slice(0, width - 2) + "…";
    if (!force && text === this.lastText) return;
    this.lastText = text;
    this.stream.write(CLEAR + text);
  }

  private finish(): boolean {
    if (this.finished) return false;
    this.finished = true;
    active.delete(this);
    clearInterval(this.ticker);
    this.onFinish();
    return true;
  }
}

function mib(n: number): string {
  return (n / 1048576).toFixed(1);
}

/** "120/2345 files", "12.3/45.6 MiB", or without a total "120 files", "12.3 MiB". */
export function formatProgress(unit: Unit, done: number, total: number | undefined): string {
  if (unit === "files") return total !== undefined ? `${done}/${total} files` : `${done} files`;
  return total !== undefined ? `${mib(done)}/${mib(total)} MiB` : `${mib(done)} MiB`;
}

function formatCount(unit: Unit, n: number): string {
  return unit === "files" ? `${n} files` : `${mib(n)} MiB`;
}

/** "0.4 s", "12 s", "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
