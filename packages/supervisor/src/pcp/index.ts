/** The PCP server: pgpool's operator protocol on pcp_socket_dir and pcp_listen_addresses:pcp_port. */
import type { SupervisorContext } from '../context';

export interface PcpServer {
  close(): Promise<void>;
}

export async function startPcp(_ctx: SupervisorContext): Promise<PcpServer> {
  return { close: async () => undefined };
}
