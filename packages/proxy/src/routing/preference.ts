/**
 * database_redirect_preference_list / app_name_redirect_preference_list:
 * `regex:node(ratio),regex:node,...` where node is a number, `primary` or `standby`.
 */
export interface Preference {
  /** Anchored, case-insensitive, as pgpool compiles it. */
  pattern: RegExp;
  /** A node id, or 'primary' / 'standby'. */
  target: number | 'primary' | 'standby';
  /** Chance (0..1) that the target is taken when the pattern matches. */
  ratio: number;
}

/** Parses one list; entries pgpool would reject are skipped and reported through `warn`. */
export function parsePreferenceList(value: string, warn: (msg: string) => void = () => undefined): Preference[] {
  const out: Preference[] = [];
  for (const raw of value.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const colon = item.lastIndexOf(':');
    if (colon <= 0) {
      warn(`invalid redirect preference "${item}": expected pattern:node`);
      continue;
    }
    const m = /^([A-Za-z0-9_]+)\s*(?:\(\s*([0-9.]+)\s*\))?$/.exec(item.slice(colon + 1).trim());
    if (!m) {
      warn(`invalid redirect preference "${item}": node must be a number, primary or standby, with an optional (ratio)`);
      continue;
    }
    const name = m[1]!.toLowerCase();
    const target = name === 'primary' || name === 'standby' ? name : /^\d+$/.test(name) ? Number(name) : null;
    const ratio = m[2] === undefined ? 1 : Number(m[2]);
    if (target === null || !(ratio >= 0 && ratio <= 1)) {
      warn(`invalid redirect preference "${item}"`);
      continue;
    }
    const pattern = anchoredRegex(item.slice(0, colon).trim(), warn);
    if (pattern) out.push({ pattern, target, ratio });
  }
  return out;
}

/** pgpool anchors the regexes of its lists (^…$) and matches them ignoring case. */
export function anchoredRegex(source: string, warn: (msg: string) => void = () => undefined): RegExp | null {
  let s = source;
  if (!s.startsWith('^')) s = '^(?:' + s;
  else s = '^(?:' + s.slice(1);
  if (s.endsWith('$') && !s.endsWith('\\$')) s = s.slice(0, -1) + ')$';
  else s += ')$';
  try {
    return new RegExp(s, 'i');
  } catch (e) {
    warn(`invalid regular expression "${source}": ${(e as Error).message}`);
    return null;
  }
}

/** The first entry whose pattern matches `value`. */
export function firstMatch(list: readonly Preference[], value: string): Preference | undefined {
  for (const p of list) if (p.pattern.test(value)) return p;
  return undefined;
}
