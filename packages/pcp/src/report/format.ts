/** printf-style formats pgpool's reports use, in local time as pgpool prints them. */

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** strftime "%Y-%m-%d %H:%M:%S" (= "%F %T") in local time; '' for 0, as pgpool leaves unset times empty. */
export function localTime(ms: number): string {
  if (!ms) return '';
  return localTimeAlways(ms);
}

/** Like localTime but prints the epoch too (pgpool's client formats a 0 time as 1970-01-01). */
export function localTimeAlways(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ctime(3): "Sun Nov 22 22:04:49 2026\n", newline included. */
export function ctimeString(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${d.getFullYear()}\n`;
}

/** printf "%f". */
export const fixed6 = (x: number): string => x.toFixed(6);

/** Unix seconds, as pgpool sends times over PCP. */
export const epochSeconds = (ms: number): string => String(Math.floor(ms / 1000));
