/** The PCP server: pgpool's operator protocol on pcp_socket_dir and pcp_listen_addresses:pcp_port. */
import fs from 'node:fs';
import net from 'node:net';
import { describeTarget, listenTargets } from '@pgrelay/proxy';
import type { SupervisorContext } from '../context';
import { PcpClientConnection } from './connection';
import { shareHealthStats } from './health-stats';
import { answerWorkerGathers, WorkerReports } from './worker-reports';

export interface PcpServer {
  close(): Promise<void>;
}

export async function startPcp(ctx: SupervisorContext): Promise<PcpServer> {
  const cfg = ctx.config();
  const port = Number(cfg.pcp_port);
  const addresses = Array.isArray(cfg.pcp_listen_addresses) ? cfg.pcp_listen_addresses.join(',') : String(cfg.pcp_listen_addresses ?? '');
  const dirs = (cfg.pcp_socket_dirs as string[] | undefined) ?? [String(cfg.pcp_socket_dir ?? '/tmp')];
  const reports = new WorkerReports(ctx);
  const stopAnswering = answerWorkerGathers(ctx, reports);
  const server = { sup: ctx, reports, busy: { recovery: false }, pid: process.pid };
  const sockets = new Set<net.Socket>();
  const servers: net.Server[] = [];

  for (const target of listenTargets(addresses, port, dirs)) {
    if ('path' in target && fs.existsSync(target.path)) fs.rmSync(target.path, { force: true });
    const srv = net.createServer({ noDelay: true }, (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      new PcpClientConnection(server, socket);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen({ ...target, backlog: 128 }, () => {
          srv.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      ctx.log.fatal({ err: (e as Error).message }, `could not listen for PCP on ${describeTarget(target)}: ${(e as Error).message}`);
      for (const s of servers) s.close();
      stopAnswering();
      reports.close();
      throw e;
    }
    // pgpool creates its PCP socket world-accessible; pcp.conf is what guards it.
    if ('path' in target) fs.chmodSync(target.path, 0o777);
    servers.push(srv);
    ctx.log.info(`PCP listening on ${describeTarget(target)}`);
  }

  const stopSharing = shareHealthStats(ctx);
  // The supervisor ends with process.exit(); a socket file left behind would outlive it.
  const socketFiles = servers.map((srv) => srv.address()).filter((a): a is string => typeof a === 'string');
  const unlinkSockets = () => socketFiles.forEach((f) => fs.rmSync(f, { force: true }));
  process.once('exit', unlinkSockets);

  return {
    close: async () => {
      process.off('exit', unlinkSockets);
      stopSharing();
      stopAnswering();
      reports.close();
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
