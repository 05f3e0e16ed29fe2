/**
 * pino with pgpool's severity ladder: LOG ranks above ERROR, so state changes (node down,
 * failover, recovery) are seen at the default log_min_messages = warning, as in pgpool.
 * One JSON event a line by default; readable text when stderr is a terminal.
 */
import pino from 'pino';

export type Logger = pino.Logger<'notice' | 'log'>;

const LEVELS: Record<string, string> = {
  debug5: 'trace',
  debug4: 'trace',
  debug3: 'trace',
  debug2: 'debug',
  debug1: 'debug',
  debug: 'debug',
  info: 'info',
  notice: 'notice',
  warning: 'warn',
  error: 'error',
  log: 'log',
  fatal: 'fatal',
  panic: 'fatal',
};

export const pinoLevelOf = (logMinMessages: string): string => LEVELS[logMinMessages.toLowerCase()] ?? 'warn';

const LABELS: Record<number, string> = { 10: 'DEBUG', 20: 'DEBUG', 30: 'INFO', 35: 'NOTICE', 40: 'WARNING', 50: 'ERROR', 55: 'LOG', 60: 'FATAL' };

/** A one-line human form of an event: `2026-11-22 10:20:54.908 main pid 123: LOG:  message key=value`. */
function textLine(json: string): string {
  try {
    const e = JSON.parse(json) as Record<string, unknown>;
    const { level, time, pid, msg, name, hostname: _h, ...rest } = e;
    const t = new Date(time as number);
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const stamp = `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}`;
    const extra = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${stamp}: ${name ?? ''} pid ${pid}: ${LABELS[level as number] ?? level}:  ${msg ?? ''}${extra ? ` (${extra})` : ''}\n`;
  } catch {
    return json;
  }
}

export function createLogger(opts: { name: string; level: string; format: 'json' | 'text' | 'auto' }): Logger {
  const text = opts.format === 'text' || (opts.format === 'auto' && process.stderr.isTTY === true);
  const dest = pino.destination({ fd: 2, sync: true });
  const stream = text ? { write: (s: string) => dest.write(textLine(s)) } : dest;
  return pino(
    {
      name: opts.name,
      level: pinoLevelOf(opts.level),
      customLevels: { notice: 35, log: 55 },
      base: { pid: process.pid },
    },
    stream,
  ) as Logger;
}
