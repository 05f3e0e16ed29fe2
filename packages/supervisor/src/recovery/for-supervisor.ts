/**
 * The recovery coordinator of a running supervisor, built from its context on first use: the
 * PCP server is the only caller, and main.ts need not know about recovery.
 */
import { readKeyFile } from '@pgrelay/config';
import type { SupervisorContext } from '../context';
import { RecoveryCoordinator } from './coordinator';
import { recoveryLogin } from './login';
import { SessionGate } from './session-gate';

const coordinators = new WeakMap<SupervisorContext, RecoveryCoordinator>();

export function recoveryFor(sup: SupervisorContext): RecoveryCoordinator {
  let c = coordinators.get(sup);
  if (!c) {
    const gate = new SessionGate({ workers: sup.workers, onWorkerMessage: (l) => sup.onWorkerMessage(l), log: sup.log });
    c = new RecoveryCoordinator({
      config: () => sup.config(),
      // pgpool 4.3 always uses template1, where its docs put the extension; 4.7's setting wins when given.
      database: () => (sup.files().conf.explicit.has('recovery_database') ? String(sup.config().recovery_database) : 'template1'),
      table: sup.table,
      log: sup.log,
      login: (database) => recoveryLogin(sup.config(), sup.files().passwd, readKeyFile(sup.opts.keyFile), database),
      failback: (id, cause) => sup.failover.failback(id, cause),
      gate,
    });
    coordinators.set(sup, c);
  }
  return c;
}
