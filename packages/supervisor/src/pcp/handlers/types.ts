/** What a PCP request handler gets and gives: the request body in, reply packets out. */
import type { SupervisorContext } from '../../context';
import type { WorkerReports } from '../worker-reports';

export interface PcpServerContext {
  sup: SupervisorContext;
  reports: WorkerReports;
  /** pgpool runs one recovery (and one graceful detach/promote) at a time. */
  busy: { recovery: boolean };
  /** The process id pgpool would name as the requester in its log lines. */
  pid: number;
}

export interface Reply {
  packets: Buffer[];
  /** Runs once the packets are written (pcp_stop_pgpool answers before it stops). */
  after?: () => void;
}

export type Handler = (ctx: PcpServerContext, body: Buffer, type: string) => Promise<Reply> | Reply;

export const reply = (...packets: Buffer[]): Reply => ({ packets });
