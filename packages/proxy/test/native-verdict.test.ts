/** Native replication's consistency verdicts: who is the minority when nodes disagree. */
import { affectedTuples, describeKinds, judge, type Answer } from '../src/native/verdict';

const ok = (nodeId: number, ...tags: string[]): Answer => ({ nodeId, error: null, tags });
const err = (nodeId: number, message = 'relation "t" does not exist'): Answer => ({ nodeId, error: { code: '42P01', message }, tags: [] });

test('agreeing nodes', () => {
  expect(judge([ok(0, 'INSERT 0 1'), ok(1, 'INSERT 0 1'), ok(2, 'INSERT 0 1')])).toEqual({ kind: 'agree' });
  expect(judge([err(0), err(1)])).toEqual({ kind: 'agree' });
  // SELECT counts are not compared (pgpool compares INSERT/UPDATE/DELETE only)
  expect(judge([ok(0, 'SELECT 1'), ok(1, 'SELECT 2')])).toEqual({ kind: 'agree' });
  expect(judge([ok(0, 'UPDATE 3')])).toEqual({ kind: 'agree' });
});

test('kind mismatch: the majority kind wins', () => {
  expect(judge([ok(0, 'INSERT 0 1'), ok(1, 'INSERT 0 1'), err(2)])).toEqual({ kind: 'kind_mismatch', losers: [2], mainLost: false });
  expect(judge([err(0), ok(1, 'INSERT 0 1'), ok(2, 'INSERT 0 1')])).toEqual({ kind: 'kind_mismatch', losers: [0], mainLost: true });
});

test('kind mismatch without a majority: the main node (youngest id) wins', () => {
  expect(judge([ok(0), err(3)])).toEqual({ kind: 'kind_mismatch', losers: [3], mainLost: false });
  expect(judge([err(1), ok(2)])).toEqual({ kind: 'kind_mismatch', losers: [2], mainLost: false });
  expect(judge([ok(0), ok(1), err(2), err(3)])).toEqual({ kind: 'kind_mismatch', losers: [2, 3], mainLost: false });
});

test('affected tuples: the majority count wins, else the main node', () => {
  expect(judge([ok(0, 'UPDATE 2'), ok(1, 'UPDATE 2'), ok(2, 'UPDATE 3')])).toEqual({ kind: 'tuples_mismatch', losers: [2], mainLost: false });
  expect(judge([ok(0, 'DELETE 0'), ok(1, 'DELETE 1')])).toEqual({ kind: 'tuples_mismatch', losers: [1], mainLost: false });
  expect(judge([ok(0, 'DELETE 5'), ok(1, 'DELETE 1'), ok(2, 'DELETE 1')])).toEqual({ kind: 'tuples_mismatch', losers: [0], mainLost: true });
  expect(judge([ok(0, 'INSERT 0 1'), ok(1, 'INSERT 0 2'), ok(2, 'INSERT 0 3')])).toEqual({ kind: 'tuples_mismatch', losers: [1, 2], mainLost: false });
});

test('row counts of every DML statement of a multi-statement query count', () => {
  expect(affectedTuples(['BEGIN', 'INSERT 0 1', 'UPDATE 4', 'SELECT 9', 'DELETE 0', 'COMMIT'])).toBe('1,4,0');
  expect(judge([ok(0, 'UPDATE 1', 'UPDATE 1'), ok(1, 'UPDATE 1', 'UPDATE 2')]).kind).toBe('tuples_mismatch');
});

test("pgpool's kind details", () => {
  expect(describeKinds([ok(0), ok(1), err(2)])).toBe('0[C] 1[C] 2[E: relation "t" does not exist]');
});
