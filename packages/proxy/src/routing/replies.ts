/**
 * Puts the answers of several backends back into the order the client asked in.
 *
 * The client's messages are cut into steps, each ending with a ReadyForQuery from every
 * backend it went to (a Query, a Sync, or a Sync pgrelay adds). One backend per step
 * answers the client (`fwd`); the others' output is dropped (a SET sent to the standby too).
 * Backends answer in their own order, so output for a later step is kept until every
 * earlier step is done; a step's ReadyForQuery reaches the client once all of its backends
 * sent theirs.
 */
export type TxStatus = 'I' | 'T' | 'E';

const Z = 0x5a;
const E = 0x45;

export class Step {
  /** Link index whose output the client gets; -1: none (pgpool's own reply or a hidden step). */
  fwd = -1;
  /** Bit i set: link i takes part. */
  members = 0;
  /** Bit i set: link i has not sent this step's ReadyForQuery yet. */
  pending = 0;
  /** No more messages join it: every member has been sent its Sync (or Query). */
  closed = false;
  /** The client gets a ReadyForQuery for it (its own Sync/Query), not one pgrelay added. */
  clientZ = false;
  /** The forwarding backend answered with an ErrorResponse. */
  failed = false;
  /** Members other than `fwd` that answered with an ErrorResponse. */
  swallowedErrors = 0;
  /** The forwarding backend's ReadyForQuery, and the status it reported. */
  z: Buffer | null = null;
  status: TxStatus = 'I';
  /** Forwarded output that arrived before this step's turn. */
  buffered: Buffer[] | null = null;
  bufferedBytes = 0;
  /** A reply pgrelay built itself, sent when the step's turn comes. */
  local: Buffer | null = null;
  /** Called once every member answered (before or at its turn). */
  onAnswered: ((s: Step) => void) | null = null;
  /** Some of its answer already reached the client (a failover cannot re-run it unseen). */
  delivered = false;
  /** Statuses every member reported, by link index (for the router's per-link bookkeeping). */
  readonly linkStatus: TxStatus[] = [];
}

export interface ReplySink {
  /** Bytes for the client; false when its socket buffer is full. */
  toClient(bytes: Buffer): boolean;
  /** A step's turn is over: its ReadyForQuery (if any) went to the client. */
  stepDone(step: Step): void;
  /** A link's output is piling up behind an unfinished step: stop/restart reading it. */
  pauseLink(index: number, paused: boolean): void;
}

/** More than this many bytes kept for one step: stop reading its backend until its turn. */
const MAX_BUFFERED = 1 << 20;

export class Replies {
  /** Steps in the client's order; [0] is the one whose output goes out now. */
  private readonly steps: Step[] = [];
  /** Per link, the steps it still owes a ReadyForQuery, oldest first. */
  private readonly owed: Step[][] = [];
  /** Output from a backend between steps (NotificationResponse, a NOTICE): sent when idle. */
  private deferred: Buffer[] = [];

  constructor(private readonly sink: ReplySink, links: number) {
    for (let i = 0; i < links; i++) this.owed.push([]);
  }

  /** Steps not finished yet (the client is owed at least one answer). */
  get size(): number {
    return this.steps.length;
  }

  get head(): Step | undefined {
    return this.steps[0];
  }

  /** Appends a step; members join it with `join`. */
  add(step: Step): Step {
    this.steps.push(step);
    if (this.steps.length === 1) this.begin(step);
    return step;
  }

  /** A reply pgrelay makes itself, in its place among the backends' answers. */
  addLocal(bytes: Buffer, status: TxStatus): Step {
    const s = new Step();
    s.local = bytes;
    s.closed = true;
    s.status = status;
    this.add(s);
    this.finishHead();
    return s;
  }

  /**
   * A reply pgrelay makes itself but has not got yet (a listing gathered from every worker):
   * it holds its place, and what the client asked after it waits behind it.
   */
  addLocalLater(reply: Promise<Buffer>, status: TxStatus): Step {
    const s = new Step();
    s.status = status;
    this.add(s);
    void reply.then((bytes) => {
      if (this.steps.indexOf(s) < 0) return; // the session ended meanwhile
      s.local = bytes;
      s.closed = true;
      this.finishHead();
    });
    return s;
  }

  /** Bytes pgrelay adds in front of a step's answer (notice_per_node_statement). */
  prefix(step: Step, bytes: Buffer): void {
    if (step === this.steps[0]) this.sink.toClient(bytes);
    // nothing can have been kept for a step created a moment ago: the notices go first
    else (step.buffered ??= []).push(bytes);
  }

  /** Link `index` takes part in `step` (its next ReadyForQuery will end its part). */
  join(step: Step, index: number): void {
    const bit = 1 << index;
    if (step.members & bit) return;
    step.members |= bit;
    step.pending |= bit;
    this.owed[index]!.push(step);
  }

  /** Every member has been sent the message that ends its part. */
  close(step: Step): void {
    step.closed = true;
    if (step.pending === 0) this.answered(step);
  }

  // ---- backend output ---------------------------------------------------------------

  /** Bytes of messages the link did not inspect (rows, completions). */
  bytes(index: number, bytes: Buffer): void {
    const step = this.owed[index]![0];
    if (step === undefined) {
      this.unsolicited(index, bytes);
      return;
    }
    if (step.fwd !== index) return;
    if (step === this.steps[0]) {
      step.delivered = true;
      if (!this.sink.toClient(bytes)) this.sink.pauseLink(index, true);
    } else this.keep(step, index, bytes);
  }

  /** An inspected message (ReadyForQuery, ErrorResponse, ParameterStatus). */
  message(index: number, type: number, raw: Buffer): void {
    const step = this.owed[index]![0];
    if (step === undefined) {
      this.unsolicited(index, raw);
      return;
    }
    if (type === E) {
      if (step.fwd === index) step.failed = true;
      else step.swallowedErrors |= 1 << index;
    }
    if (type !== Z) {
      this.bytes(index, raw);
      return;
    }
    const status = String.fromCharCode(raw[5]!) as TxStatus;
    step.linkStatus[index] = status;
    if (step.fwd === index) {
      step.z = raw;
      step.status = status;
    }
    this.owed[index]!.shift();
    step.pending &= ~(1 << index);
    if (step.pending === 0 && step.closed) this.answered(step);
  }

  /** Output for a step whose turn has not come: kept, and its link paused if it piles up. */
  private keep(step: Step, index: number, bytes: Buffer): void {
    (step.buffered ??= []).push(bytes);
    step.bufferedBytes += bytes.length;
    if (step.bufferedBytes > MAX_BUFFERED) this.sink.pauseLink(index, true);
  }

  /**
   * Output between steps: the primary's (a NotificationResponse, the FATAL of a shutdown) is the
   * client's business; a standby's (its own FATAL as it goes away) is not.
   */
  private unsolicited(index: number, bytes: Buffer): void {
    if (index !== 0) return;
    if (this.steps.length === 0) this.sink.toClient(bytes);
    else this.deferred.push(bytes);
  }

  private answered(step: Step): void {
    const cb = step.onAnswered;
    step.onAnswered = null;
    cb?.(step);
    if (step === this.steps[0]) this.finishHead();
  }

  /** Sends what is owed for the head and every finished step after it. */
  private finishHead(): void {
    for (;;) {
      const head = this.steps[0];
      if (head === undefined || !head.closed || head.pending !== 0) return;
      this.steps.shift();
      if (head.local) this.sink.toClient(head.local);
      else if (head.clientZ && head.z) this.sink.toClient(head.z);
      this.sink.stepDone(head);
      const next = this.steps[0];
      if (next) this.begin(next);
      else if (this.deferred.length > 0) {
        const d = this.deferred;
        this.deferred = [];
        for (const b of d) this.sink.toClient(b);
      }
    }
  }

  /** A step's turn begins: what its backend sent early goes out now. */
  private begin(step: Step): void {
    const kept = step.buffered;
    if (kept === null) return;
    step.buffered = null;
    step.bufferedBytes = 0;
    step.delivered = true;
    for (const b of kept) this.sink.toClient(b);
    if (step.fwd >= 0) this.sink.pauseLink(step.fwd, false);
  }

  /** Forgets everything (the session ends). */
  clear(): void {
    this.steps.length = 0;
    for (const o of this.owed) o.length = 0;
    this.deferred = [];
  }
}
