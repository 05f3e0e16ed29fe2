/**
 * Issue 8, transaction_replay = on: short read-committed write transactions cut by kill -9 of
 * the primary run again on the new primary and go on without an error when every replayed
 * answer matches; a transaction whose answers cannot match (now()) gets the retryable error.
 */
import type { Client } from 'pg';
import { client, outcomeOf, primaryNode, sleep, survivalCluster, Tally } from './session-survival-tools';

describe('transaction replay across kill -9 of the primary', () => {
  const env = survivalCluster({ transaction_replay: true }, [
    'CREATE TABLE rp_log (client int, seq int, PRIMARY KEY (client, seq))',
    'CREATE TABLE rp_counter (id int PRIMARY KEY, n int NOT NULL)',
    'INSERT INTO rp_counter SELECT g, 0 FROM generate_series(0, 99) g',
  ]);

  test('write transactions are replayed without an error; one that read now() gets 40001; nothing applied twice', async () => {
    const { cluster, relay } = env;
    const tally = new Tally();
    const committed = new Map<number, number>();
    let stop = false;
    const loops: Promise<void>[] = [];
    const loop = (group: string, first: number, n: number, body: (c: Client, id: number, seq: number) => Promise<void>) => {
      for (let id = first; id < first + n; id++) {
        loops.push(
          (async () => {
            const c = await client(relay.port, `${group}${id}`);
            c.on('error', () => undefined);
            for (let seq = 1; !stop; seq++) {
              try {
                await body(c, id, seq);
                committed.set(id, (committed.get(id) ?? 0) + 1);
                tally.add(group, 'ok');
              } catch (e) {
                const o = outcomeOf(e);
                tally.add(group, o);
                if (o.startsWith('FATAL') || o === 'lost connection') return void c.end().catch(() => undefined);
                await c.query('ROLLBACK').catch(() => undefined);
                // 08007: the COMMIT's outcome is unknown; the test finds out from the data below
                if (o === '08007') committed.set(id, -1_000_000);
              }
            }
            await c.end();
          })(),
        );
      }
    };
    // read committed, a row locked FOR UPDATE, two writes, a pause that keeps it open across the kill
    loop('replayable tx', 0, 12, async (c, id, seq) => {
      await c.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      await c.query('SELECT n FROM rp_counter WHERE id = $1 FOR UPDATE', [id]);
      await c.query('INSERT INTO rp_log VALUES ($1, $2)', [id, seq]);
      await c.query('UPDATE rp_counter SET n = n + 1 WHERE id = $1', [id]);
      await c.query('SELECT pg_sleep(0.05)');
      await c.query('COMMIT');
    });
    // now() differs on replay: the checksum catches it
    loop('now() tx', 50, 2, async (c, id, seq) => {
      await c.query('BEGIN');
      await c.query('SELECT now()');
      await c.query('INSERT INTO rp_log VALUES ($1, $2)', [id, seq]);
      await c.query('UPDATE rp_counter SET n = n + 1 WHERE id = $1', [id]);
      await c.query('SELECT pg_sleep(0.05)');
      await c.query('COMMIT');
    });

    // two transactions idle at the kill: one replayable (its next statements just work), one
    // that read now() (replay refused: the client hears 40001 at its next statement)
    const open = await client(relay.port, 'open tx');
    open.on('error', () => undefined);
    await open.query('BEGIN');
    await open.query('SELECT n FROM rp_counter WHERE id = 90 FOR UPDATE');
    await open.query('UPDATE rp_counter SET n = n + 1 WHERE id = 90');
    const withNow = await client(relay.port, 'now tx');
    withNow.on('error', () => undefined);
    await withNow.query('BEGIN');
    await withNow.query('SELECT now()');
    await withNow.query('UPDATE rp_counter SET n = n + 1 WHERE id = 91');

    await sleep(1500);
    cluster.nodes[0]!.crash();
    await relay.waitForLog(/failover done. shutdown host/, 30_000);
    await sleep(2000);
    stop = true;
    await Promise.all(loops);

    await open.query("INSERT INTO rp_log VALUES (90, 1)");
    await open.query('COMMIT');
    const nowOutcome = await withNow.query('SELECT 1').then(
      () => 'ok',
      (e: Error) => outcomeOf(e),
    );
    tally.add('open tx (replayed)', 'ok');
    tally.add('now() tx idle', nowOutcome);
    await withNow.query('ROLLBACK');
    await open.end();
    await withNow.end();
    expect(nowOutcome).toBe('40001');

    const replayed = (relay.log().match(/transaction replayed on node \d/g) ?? []).length;
    const refused = (relay.log().match(/transaction replay on node \d refused/g) ?? []).length;
    // nothing was applied twice or lost: each client's counter is its number of logged rows
    const primary = await primaryNode(cluster);
    const rows = await primary.query<{ id: number; n: number; logged: number }>(
      'SELECT c.id, c.n, (SELECT count(*)::int FROM rp_log l WHERE l.client = c.id) AS logged FROM rp_counter c WHERE c.id < 12 OR c.id IN (50, 51, 90) ORDER BY c.id',
      [],
      { database: 'test' },
    );
    console.log(`transaction replay across kill -9 of the primary:\n${tally.table()}\n  transactions replayed: ${replayed}, replays refused: ${refused}`);
    for (const r of rows) {
      expect(r.n).toBe(r.logged);
      const mine = committed.get(r.id) ?? 0;
      if (r.id < 90 && mine >= 0) expect(r.logged).toBe(mine); // every commit the client saw is there, once
    }
    expect(replayed).toBeGreaterThan(0);
    expect(rows.find((r) => r.id === 90)).toMatchObject({ n: 1, logged: 1 });
    expect(relay.log()).toMatch(/transaction replay on node 1 refused: answer \d+ of \d+ differed/);
    // a COMMIT in flight is not replayed (its outcome is unknown: 08007), anything else is
    for (const e of tally.errors('replayable tx')) expect(e).toBe('08007');
    for (const e of tally.errors('now() tx')) expect(['40001', '08007']).toContain(e);
  }, 90_000);
});
