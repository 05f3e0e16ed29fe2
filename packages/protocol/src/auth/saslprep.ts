import { L_CAT, MAPPED_TO_NOTHING, NON_ASCII_SPACE, PROHIBITED, RAND_AL_CAT, UNASSIGNED } from './saslprep-tables';

function inTable(table: readonly number[], cp: number): boolean {
  let lo = 0;
  let hi = table.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < table[mid * 2]!) hi = mid - 1;
    else if (cp > table[mid * 2 + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * SASLprep (RFC 4013) as PostgreSQL applies it to SCRAM passwords (src/common/saslprep.c),
 * because a login only works if both ends derive the same bytes from the same password:
 *
 * - pure ASCII is returned unchanged, control characters and all;
 * - U+200B is in both C.1.2 and B.1; PostgreSQL maps it to a space, and so do we;
 * - the prohibited / unassigned / bidi checks run on the mapped input *before* NFKC, not on the
 *   normalised output as RFC 3454 says (so e.g. "א™א" passes and becomes "אTMא");
 * - when the password is not valid SASLprep (prohibited characters, empty after mapping, lone
 *   surrogates, ...) PostgreSQL does not reject it but hashes the raw password instead. We return
 *   the input unchanged in that case, so callers never need an error path.
 */
export function saslprep(s: string): string {
  if (/^[\x00-\x7f]*$/.test(s)) return s;

  const mapped: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (inTable(NON_ASCII_SPACE, cp)) mapped.push(0x20);
    else if (!inTable(MAPPED_TO_NOTHING, cp)) mapped.push(cp);
  }
  if (mapped.length === 0) return s;

  let hasRandAL = false;
  let hasL = false;
  for (const cp of mapped) {
    if (inTable(PROHIBITED, cp) || inTable(UNASSIGNED, cp)) return s;
    if (inTable(RAND_AL_CAT, cp)) hasRandAL = true;
    else if (inTable(L_CAT, cp)) hasL = true;
  }
  if (hasRandAL) {
    const first = mapped[0]!;
    const last = mapped[mapped.length - 1]!;
    if (hasL || !inTable(RAND_AL_CAT, first) || !inTable(RAND_AL_CAT, last)) return s;
  }

  // Chunked: String.fromCodePoint(...hugeArray) would overflow the argument limit.
  let out = '';
  for (let i = 0; i < mapped.length; i += 4096) out += String.fromCodePoint(...mapped.slice(i, i + 4096));
  return out.normalize('NFKC');
}
