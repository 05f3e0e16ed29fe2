/**
 * Native replication's consistency check: every node ran the same statement; did they agree?
 * Pure, so each rule has a unit test (pgpool-compat.md §7 and the seed's SQL-level checks):
 *
 * - kind: the statement succeeded on some nodes and failed on others. The majority kind wins
 *   when more than half of the nodes hold it; otherwise the group holding the main node (the
 *   youngest — lowest — node id) wins. The others are the minority.
 * - tuples: INSERT/UPDATE/DELETE reported different row counts. The majority count (held by
 *   more than half) wins; without one, the count of the main node wins.
 */

/** What one node answered to one step. */
export interface Answer {
  nodeId: number;
  /** The first ErrorResponse: SQLSTATE and message; null when it succeeded. */
  error: { code: string; message: string } | null;
  /** CommandComplete tags, in order. */
  tags: string[];
}

export type Verdict =
  | { kind: 'agree' }
  /** `losers`: node ids on the minority side; `mainLost`: the main node is one of them. */
  | { kind: 'kind_mismatch' | 'tuples_mismatch'; losers: number[]; mainLost: boolean };

const DML = /^(?:INSERT \d+|UPDATE|DELETE) (\d+)$/;

/** Row counts of the INSERT/UPDATE/DELETE tags, joined: the value nodes must agree on. */
export function affectedTuples(tags: readonly string[]): string {
  let out = '';
  for (const t of tags) {
    const m = DML.exec(t);
    if (m) out += (out === '' ? '' : ',') + m[1];
  }
  return out;
}

/** `answers[0]` is the main node's. */
export function judge(answers: readonly Answer[]): Verdict {
  if (answers.length < 2) return { kind: 'agree' };
  const kindOf = (a: Answer): string => (a.error ? 'E' : 'C');
  const kinds = split(answers, kindOf);
  if (kinds !== null) return { kind: 'kind_mismatch', ...kinds };
  // all failed alike (the client sees the main node's error) or all succeeded: compare counts
  if (answers[0]!.error !== null) return { kind: 'agree' };
  const counts = split(answers, (a) => affectedTuples(a.tags));
  if (counts !== null) return { kind: 'tuples_mismatch', ...counts };
  return { kind: 'agree' };
}

/** Groups by `key`; null when all agree, else who loses. */
function split(answers: readonly Answer[], key: (a: Answer) => string): { losers: number[]; mainLost: boolean } | null {
  const groups = new Map<string, number>();
  for (const a of answers) groups.set(key(a), (groups.get(key(a)) ?? 0) + 1);
  if (groups.size === 1) return null;
  let winner = key(answers[0]!);
  for (const [k, n] of groups) if (n * 2 > answers.length) winner = k;
  const losers = answers.filter((a) => key(a) !== winner).map((a) => a.nodeId);
  return { losers, mainLost: key(answers[0]!) !== winner };
}

/** pgpool's DETAIL: `0[C] 1[E: relation "t" does not exist]`. */
export function describeKinds(answers: readonly Answer[]): string {
  return answers.map((a) => `${a.nodeId}[${a.error ? `E: ${a.error.message}` : 'C'}]`).join(' ');
}

/** Every node's answer, for the log line of a decision. */
export function describeAnswers(answers: readonly Answer[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of answers) out[`node${a.nodeId}`] = a.error ? `ERROR ${a.error.code}: ${a.error.message}` : a.tags.join('; ') || 'ok';
  return out;
}
