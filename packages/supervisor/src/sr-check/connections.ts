/** The sr check's own connections, one per node, kept between checks and reopened after a failure. */
import type { BackendConfig } from '@pgrelay/config';
import { BackendConn, backendTarget } from '@pgrelay/proxy';
import type { CheckLogin } from '../primary';

export class CheckConnections {
  private readonly conns = new Map<number, BackendConn>();

  constructor(private readonly login: CheckLogin, private readonly timeoutMs: number, private readonly ssl: boolean) {}

  /** Runs one query on `node`; a failure closes that node's connection (the next check reconnects). */
  async query(node: BackendConfig, sql: string): Promise<(string | null)[][]> {
    let conn = this.conns.get(node.id);
    try {
      if (conn === undefined || conn.closed) {
        const l = this.login;
        conn = await BackendConn.open(
          backendTarget(node, { ssl: this.ssl }),
          { user: l.user, database: l.database, application_name: 'pgrelay_sr_check' },
          async () => ({ user: l.user, password: l.password, md5: l.md5 }),
          { connectMs: this.timeoutMs, loginMs: this.timeoutMs },
        );
        this.conns.set(node.id, conn);
      }
      return await conn.query(sql, this.timeoutMs);
    } catch (e) {
      conn?.destroy();
      this.conns.delete(node.id);
      throw e;
    }
  }

  closeAll(): void {
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }
}
