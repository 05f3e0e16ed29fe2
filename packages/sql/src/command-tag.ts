import { PUNCT, Token, WORD } from './lexer';

/**
 * The command tag of a statement the classifier does not look inside (DDL, maintenance…),
 * named the way PostgreSQL's CreateCommandTag names it where that is cheap to get right
 * from the leading words ('CREATE INDEX' for CREATE UNIQUE INDEX, 'LOCK TABLE' for LOCK).
 */

// words between CREATE and the object type that do not change the tag
const CREATE_MODIFIERS = new Set([
  'or', 'replace', 'global', 'local', 'temp', 'temporary', 'unlogged', 'unique', 'trusted', 'procedural',
  'default', 'constraint', 'recursive',
]);

// object types spelled with more than one word: first word → accepted following words
const MULTI_WORD: Record<string, string[]> = {
  materialized: ['view'],
  foreign: ['table', 'data', 'wrapper'],
  event: ['trigger'],
  text: ['search', 'parser', 'dictionary', 'template', 'configuration'],
  access: ['method'],
  user: ['mapping'],
  operator: ['class', 'family'],
  default: ['privileges'],
  owned: [],
};

const SIMPLE: Record<string, string> = {
  analyse: 'ANALYZE',
  lock: 'LOCK TABLE',
  declare: 'DECLARE CURSOR',
  close: 'CLOSE CURSOR',
  end: 'COMMIT',
  abort: 'ROLLBACK',
  table: 'SELECT',
  values: 'SELECT',
};

const FIXED_PHRASES: Record<string, string[]> = {
  security: ['label'],
  refresh: ['materialized', 'view'],
  import: ['foreign', 'schema'],
  reassign: ['owned'],
  start: ['transaction'],
};

export function commandTag(tokens: readonly Token[]): string {
  const words: string[] = [];
  for (const t of tokens) {
    if (t.k !== WORD) break;
    words.push(t.w);
    if (words.length >= 8) break;
  }
  if (words.length === 0) {
    const first = tokens[0];
    return first !== undefined && first.k === PUNCT && first.w === '(' ? 'SELECT' : 'UNKNOWN';
  }
  const w0 = words[0]!;
  if (w0 === 'create' || w0 === 'alter' || w0 === 'drop') {
    let i = 1;
    if (w0 === 'create') while (i < words.length && CREATE_MODIFIERS.has(words[i]!)) i++;
    const obj = words[i];
    if (obj === undefined) return w0.toUpperCase();
    const parts = [w0, obj];
    const more = MULTI_WORD[obj];
    // `CREATE USER bob` stays 'CREATE USER'; `CREATE USER MAPPING` gets both words
    if (more) for (let j = i + 1; j < words.length && more.includes(words[j]!); j++) parts.push(words[j]!);
    if (w0 === 'create' && obj === 'table' && hasTopLevelAs(tokens)) parts.push('as');
    return parts.join(' ').toUpperCase();
  }
  const simple = SIMPLE[w0];
  if (simple) return simple;
  const phrase = FIXED_PHRASES[w0];
  if (phrase && phrase.length > 0) {
    const parts = [w0];
    for (let j = 0; j < phrase.length && words[j + 1] === phrase[j]; j++) parts.push(phrase[j]!);
    return parts.join(' ').toUpperCase();
  }
  return w0.toUpperCase();
}

/** CREATE TABLE … AS: an AS outside the column list. */
function hasTopLevelAs(tokens: readonly Token[]): boolean {
  for (const t of tokens) if (t.d === 0 && t.k === WORD && t.w === 'as') return true;
  return false;
}
