/** An answer pgpool gives as an ErrorResponse; FATAL also ends the connection. */
import type { PcpNotice } from '@pgrelay/pcp';

export class PcpError extends Error {
  constructor(
    readonly severity: 'ERROR' | 'FATAL',
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }

  get notice(): PcpNotice {
    return { severity: this.severity, message: this.message, detail: this.detail };
  }
}

export const pcpError = (message: string, detail?: string): PcpError => new PcpError('ERROR', message, detail);
export const pcpFatal = (message: string, detail?: string): PcpError => new PcpError('FATAL', message, detail);

/** C atoi, as pgpool reads ids from PCP packets: leading digits, else 0. */
export function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? parseInt(m[1]!, 10) : 0;
}
