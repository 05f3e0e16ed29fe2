/**
 * The recovery's session on the primary (main node), and what pgpool runs over it: CHECKPOINT,
 * pgpool_recovery(<stage script>, ...) and pgpool_remote_start(...). Each failure becomes
 * pgpool's ERROR text; what the server said goes into the log-only reason.
 */
import type { BackendConfig, PgpoolConfig } from '@pgrelay/config';
import type { BackendConn, Logger } from '@pgrelay/proxy';
import { RecoveryFailure } from './errors';
import { describeLoginError, isMd5Password, openAs, type RecoveryLogin } from './login';
import { recoveryStatement, remoteStartStatement, STAGE_NAMES } from './sql';

/** pgpool runs the stages with statement_timeout 0 and waits as long as they take. */
const NO_LIMIT_MS = 0x7fffffff;

export function connectTimeoutMs(cfg: PgpoolConfig): number {
  return Number(cfg.connect_timeout) > 0 ? Number(cfg.connect_timeout) : 10_000;
}

export class MainNode {
  private constructor(
    private readonly conn: BackendConn,
    readonly backend: BackendConfig,
    private readonly log: Logger,
  ) {}

  static async connect(cfg: PgpoolConfig, main: BackendConfig | undefined, mainId: number, login: RecoveryLogin, log: Logger): Promise<MainNode> {
    // pgpool's message ends with a space; scripts may match it.
    const failed = `node recovery failed, unable to connect to main node: ${mainId} `;
    if (!main) throw new RecoveryFailure(failed, undefined, mainId < 0 ? 'there is no primary (main) node' : `node ${mainId} is not configured`);
    try {
      return new MainNode(await openAs(main, login, login.database, connectTimeoutMs(cfg)), main, log);
    } catch (e) {
      const why = `login to node ${mainId} as "${login.user}" to database "${login.database}": ${describeLoginError(e)}`;
      if (isMd5Password(cfg)) {
        throw new RecoveryFailure(`the password of recovery_user ${login.user} is invalid format`, 'recovery_password is not allowed to be md5 hashed format', why);
      }
      throw new RecoveryFailure(failed, undefined, why);
    }
  }

  close(): void {
    this.conn.close();
  }

  async checkpoint(): Promise<void> {
    try {
      await this.conn.query('CHECKPOINT', NO_LIMIT_MS);
    } catch (e) {
      throw new RecoveryFailure('executing recovery, execute CHECKPOINT failed', undefined, (e as Error).message);
    }
  }

  /** pgpool_recovery(<script>, ...); an empty command is skipped, as pgpool does. */
  async runStage(n: 1 | 2, script: string, node: BackendConfig): Promise<void> {
    const name = STAGE_NAMES[n];
    if (script === '') {
      this.log.log({ node: node.id, stage: name }, `node recovery: no recovery_${n === 1 ? '1st' : '2nd'}_stage_command, nothing to run at "${name}"`);
      return;
    }
    const sql = recoveryStatement(script, node, this.backend);
    this.log.log({ node: node.id, detail: `starting recovery command: "${sql}"` }, `executing recovery: starting recovery command: "${sql}"`);
    await this.warnIfMissing(script);
    this.log.log({ node: node.id, detail: 'disabling statement_timeout' }, 'executing recovery: disabling statement_timeout');
    try {
      await this.conn.query('SET statement_timeout To 0', NO_LIMIT_MS);
    } catch (e) {
      throw new RecoveryFailure(`executing recovery, SET STATEMENT_TIMEOUT failed at "${name}"`, undefined, (e as Error).message);
    }
    try {
      await this.conn.query(sql, NO_LIMIT_MS);
    } catch (e) {
      throw new RecoveryFailure(
        `executing recovery, execution of command failed at "${name}"`,
        `command:"${script}"`,
        `node ${this.backend.id} answered: ${(e as Error).message}; the script's own output is in that server's log`,
      );
    }
  }

  async remoteStart(node: BackendConfig): Promise<void> {
    try {
      await this.conn.query(remoteStartStatement(node), NO_LIMIT_MS);
    } catch (e) {
      // pgpool quotes libpq's PQresultErrorMessage, severity prefix and newline included.
      throw new RecoveryFailure(`executing remote start failed with error: "ERROR:  ${(e as Error).message}\n"`);
    }
  }

  /** pgpool only says "failed"; a missing script is the usual reason, so say so up front. */
  private async warnIfMissing(script: string): Promise<void> {
    const id = this.backend.id;
    try {
      const rows = await this.conn.query(`SELECT (pg_stat_file('${script.replace(/'/g, "''")}', true)).size`, 10_000);
      if (rows[0]?.[0] === null) this.log.warn({ node: id, script }, `"${script}" does not exist in the data directory of node ${id}: the recovery command will fail`);
    } catch {
      // No right to look (not a superuser): pgpool_recovery will say what it says.
    }
  }
}
