/** A value for postgresql.conf / pgpool.conf: quoted unless the caller already quoted it. */
export function quote(value: string): string {
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value;
  return `'${value.replace(/'/g, "''")}'`;
}

/** postgresql.conf accepts a quoted string for every type, so always quote. */
export function pgConfLines(settings: Record<string, string | number | boolean>): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k} = ${typeof v === 'boolean' ? (v ? 'on' : 'off') : quote(String(v))}\n`)
    .join('');
}

/** pgpool.conf: numbers and booleans bare, strings quoted. */
export function pgpoolConfLines(settings: Record<string, string | number | boolean>): string {
  return Object.entries(settings)
    .map(([k, v]) => {
      if (typeof v === 'boolean') return `${k} = ${v ? 'on' : 'off'}\n`;
      if (typeof v === 'number') return `${k} = ${v}\n`;
      return `${k} = ${quote(v)}\n`;
    })
    .join('');
}
