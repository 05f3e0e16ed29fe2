import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { LIVE_DIR, ensureRoot } from './dirs';
import { pidsUnder, signalQuiet, startTime } from './procs';

/**
 * Everything a test process started and has not stopped yet. One entry per cluster (its
 * pgrelays join it) or per standalone pgrelay. Each entry mirrors itself into
 * LIVE_DIR/<pid>-<n>.json so jest-teardown.js can clean up after a process that died hard.
 */
export class LiveEntry {
  readonly file: string;
  private readonly dirList: string[] = [];
  private readonly pidSources: Array<() => Array<number | undefined>> = [];
  private disposed = false;

  constructor() {
    const reg = registry();
    ensureRoot();
    this.file = path.join(LIVE_DIR, `${process.pid}-${++reg.seq}.json`);
    reg.entries.add(this);
  }

  addDir(dir: string): void {
    this.dirList.push(dir);
    this.save();
  }

  addPids(source: () => Array<number | undefined>): void {
    this.pidSources.push(source);
    this.save();
  }

  dirs(): string[] {
    return [...this.dirList];
  }

  pids(): number[] {
    const out: number[] = [];
    for (const s of this.pidSources) {
      try {
        for (const p of s()) if (p) out.push(p);
      } catch {
        /* a half-built resource has no pids yet */
      }
    }
    return out;
  }

  /** Called whenever a pid may have changed (start, kill, new standby). */
  save(): void {
    if (this.disposed) return;
    const body = JSON.stringify({
      owner: process.pid,
      ownerStart: startTime(process.pid),
      dirs: this.dirList,
      pids: this.pids(),
    });
    const tmp = `${this.file}.tmp`;
    try {
      fs.writeFileSync(tmp, body);
      fs.renameSync(tmp, this.file);
    } catch {
      /* the live file is a safety net; losing it must not fail a test */
    }
  }

  /** The last resort: synchronous, so it can run inside process.on('exit'). */
  killSync(): void {
    for (const p of this.pids()) signalQuiet(p, 'SIGKILL');
    for (const p of pidsUnder(this.dirList)) signalQuiet(p, 'SIGKILL');
    for (const d of this.dirList) {
      try {
        fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        /* teardown will try again */
      }
    }
    this.dispose();
  }

  /** The resource was stopped cleanly: forget it. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    registry().entries.delete(this);
    try {
      fs.unlinkSync(this.file);
    } catch {
      /* already gone */
    }
  }
}

interface Registry {
  seq: number;
  entries: Set<LiveEntry>;
  ports: Set<number>;
  templates: Map<string, Promise<string>>;
}

/**
 * jest gives every test file its own module registry and a fake `process` whose 'exit'
 * never fires. Code run with vm.runInThisContext sees the real process, so the registry
 * lives there: one per OS process, shared by all test files a worker runs.
 */
function realProcess(): NodeJS.Process {
  try {
    const p = vm.runInThisContext('process') as NodeJS.Process;
    if (p && typeof p.on === 'function') return p;
  } catch {
    /* not available: fall back to the visible one */
  }
  return process;
}

const KEY = Symbol.for('pgrelay.testkit.registry');

export function registry(): Registry {
  const proc = realProcess() as unknown as Record<symbol, Registry | undefined>;
  let reg = proc[KEY];
  if (!reg) {
    const fresh: Registry = { seq: 0, entries: new Set(), ports: new Set(), templates: new Map() };
    reg = proc[KEY] = fresh;
    (proc as unknown as NodeJS.Process).on('exit', () => {
      for (const e of [...fresh.entries]) e.killSync();
    });
  }
  return reg;
}
