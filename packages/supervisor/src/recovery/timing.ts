/** Every recovery step is logged with how long it took, and the closing note lists them all. */
import type { Logger } from '@pgrelay/proxy';

export interface StepTime {
  step: string;
  ms: number;
  ok: boolean;
}

export class StepClock {
  readonly steps: StepTime[] = [];
  private readonly started = performance.now();

  constructor(private readonly log: Logger, private readonly node: number) {}

  async run<T>(step: string, fn: () => Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      const r = await fn();
      this.note(step, t, true);
      return r;
    } catch (e) {
      this.note(step, t, false);
      throw e;
    }
  }

  private note(step: string, t: number, ok: boolean): void {
    const ms = Math.round(performance.now() - t);
    this.steps.push({ step, ms, ok });
    const msg = ok ? `node recovery, ${step} took ${ms} ms` : `node recovery, ${step} failed after ${ms} ms`;
    this.log.log({ node: this.node, step, ms, ok }, msg);
  }

  get totalMs(): number {
    return Math.round(performance.now() - this.started);
  }

  /** `1st stage 812 ms, remote start 240 ms, ...` */
  summary(): string {
    return this.steps.map((s) => `${s.step} ${s.ms} ms${s.ok ? '' : ' (failed)'}`).join(', ');
  }
}
