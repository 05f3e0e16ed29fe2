/**
 * Relation names a statement reads or writes, found in its text: what follows FROM, JOIN,
 * INTO, UPDATE, TABLE and USING (past an ONLY). dml_adaptive compares these with what the
 * transaction wrote; catching a few words too many only keeps a read on the primary.
 */
const AFTER = /\b(?:from|join|into|update|table|using)\s+(?:only\s+)?((?:"(?:[^"]|"")+"|[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*))*)/gi;
const LIST_MORE = /^\s*(?:(?:as\s+)?[A-Za-z_][\w$]*\s*)?,\s*((?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*))*)/i;
// words that can follow those keywords without being a relation
const NOT_RELATION = new Set(['set', 'of', 'nowait', 'skip', 'select', 'values', 'lateral', 'only', 'table', 'default', 'local', 'session', 'with', 'unnest', 'rows']);

function lastPart(name: string): string {
  const parts = name.split(/\s*\.\s*/);
  const last = parts[parts.length - 1]!;
  return last.startsWith('"') ? last.slice(1, -1).replace(/""/g, '"') : last.toLowerCase();
}

/** Unqualified relation names (lower-cased unless quoted), as pgpool compares RangeVar.relname. */
export function relationsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(AFTER)) {
    let name = m[1]!;
    let rest = text.slice(m.index! + m[0].length);
    for (;;) {
      const n = lastPart(name);
      if (!NOT_RELATION.has(n)) out.push(n);
      const more = LIST_MORE.exec(rest);
      if (!more) break;
      name = more[1]!;
      rest = rest.slice(more[0].length);
    }
  }
  return out;
}
