/**
 * Splits a pool_hba.conf line into fields. A field is a comma-separated list of tokens
 * (whitespace after a comma continues the list); double quotes protect spaces, commas,
 * `#` and keywords, `""` inside quotes is one quote.
 */

export interface HbaToken {
  value: string;
  /** A quoted token never acts as a keyword (all, sameuser, +group, @file, ...). */
  quoted: boolean;
}

export type HbaField = HbaToken[];

export class HbaSyntaxError extends Error {}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v';
}

export function splitHbaLine(line: string, allowTrailingComma = false): HbaField[] {
  const fields: HbaField[] = [];
  let i = 0;
  let field: HbaField | undefined;
  while (i < line.length) {
    while (isSpace(line[i])) i++;
    if (i >= line.length || line[i] === '#') break;
    if (line[i] === ',') throw new HbaSyntaxError(`unexpected ','`);

    let value = '';
    let quoted = false;
    while (i < line.length && !isSpace(line[i]) && line[i] !== ',' && line[i] !== '#') {
      if (line[i] === '"') {
        quoted = true;
        i++;
        for (;;) {
          if (i >= line.length) throw new HbaSyntaxError('unterminated quoted string');
          if (line[i] === '"') {
            if (line[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          value += line[i++];
        }
      } else {
        value += line[i++];
      }
    }

    if (!field) {
      field = [];
      fields.push(field);
    }
    field.push({ value, quoted });

    if (line[i] === ',') {
      i++;
      while (isSpace(line[i])) i++;
      if ((i >= line.length || line[i] === '#') && !allowTrailingComma) throw new HbaSyntaxError(`list ends with ','`);
    } else {
      field = undefined;
    }
  }
  return fields;
}

/** Tokens of an @file: names separated by white space, commas or newlines; # comments. */
export function splitHbaIncludeFile(text: string): HbaToken[] {
  const out: HbaToken[] = [];
  for (const raw of text.split('\n')) {
    // A list may continue on the next line, so a trailing comma is fine here.
    for (const f of splitHbaLine(raw, true)) out.push(...f);
  }
  return out;
}
