/**
 * One round of a native-replication unit: the same messages to a set of backends, each
 * answering up to its ReadyForQuery. A unit (one client Query or Sync) is a few of these:
 * hidden ones pgrelay adds (the insert lock, the main node's clock, COMMIT of an implicit
 * transaction) around the one whose answer the client gets.
 */
import type { TxStatus } from '../routing/replies';
import type { Answer } from './verdict';

export const enum Mode {
  /** The lead (main node) first; the others once it answered — no deadlocks between nodes. */
  Sequential,
  /** Everyone at once (statements that take no locks: BEGIN, SET, COMMIT). */
  Parallel,
  /** Everyone at once and the lead's output straight to the client (reads, COPY FROM STDIN, a Flush). */
  Stream,
}

export interface Step {
  payload: Buffer;
  /** Link bits. */
  targets: number;
  mode: Mode;
  /** The client gets the lead's output (else it is dropped, unless the step fails). */
  visible: boolean;
  /** Keep the lead's first column of its first row (`value`). */
  capture: boolean;
  /** Runs even after an earlier hidden step failed (COMMIT of pgrelay's own transaction). */
  cleanup: boolean;
  /** Fails by design (pgrelay's abort of a transaction): its error is never the client's. */
  quiet: boolean;
  /** Called once the step passed the consistency check. */
  onDone?: (s: Step) => void;

  // ---- filled in while it runs
  /** The lowest target: the main node when it takes part. */
  lead: number;
  /** Links sent the payload. */
  sent: number;
  /** Links that still owe a ReadyForQuery. */
  waiting: number;
  /** Links whose Link.inFlight counts this step (what a CancelRequest reaches). */
  cancellable: number;
  /** Sequential: links that get the payload once the lead answered. */
  rest: number;
  /** Comparing or capturing: output goes through the links' CommandComplete framers. */
  inspect: boolean;
  answers: (Answer | undefined)[];
  output: Buffer[];
  value: string | null;
  status: TxStatus;
}

export function newStep(payload: Buffer, targets: number, mode: Mode, opts: Partial<Pick<Step, 'visible' | 'capture' | 'cleanup' | 'quiet' | 'onDone'>> = {}): Step {
  return {
    payload,
    targets,
    mode,
    visible: opts.visible ?? false,
    capture: opts.capture ?? false,
    cleanup: opts.cleanup ?? false,
    quiet: opts.quiet ?? false,
    onDone: opts.onDone,
    lead: -1,
    sent: 0,
    waiting: 0,
    cancellable: 0,
    rest: 0,
    inspect: false,
    answers: [],
    output: [],
    value: null,
    status: 'I',
  };
}

/** The lead's error, if it had one. */
export const leadError = (s: Step): Answer['error'] => s.answers[s.lead]?.error ?? null;

/**
 * Errors that say nothing about a node's data — a cancel, a timeout, a lock or serialization
 * conflict of this session's own timing — are not replayed on the other nodes: pgrelay aborts
 * their transaction instead, so a cancelled statement never looks like a mismatch.
 */
const CIRCUMSTANTIAL = new Set(['57014', '40P01', '40001', '55P03', '25P02']);
export const circumstantial = (code: string): boolean => CIRCUMSTANTIAL.has(code);

export const lowestBit = (mask: number): number => 31 - Math.clz32(mask & -mask);
export const bitCount = (mask: number): number => {
  let n = 0;
  for (let m = mask; m; m &= m - 1) n++;
  return n;
};
