/**
 * health_check_test: pgpool's regression hook. With it on, a line `N<TAB>down` in
 * `<logdir>/backend_down_request` makes node N's otherwise successful check fail, for as long
 * as the line is there (4.3 reads the file and never rewrites it).
 */
import fs from 'node:fs';
import path from 'node:path';

export const DOWN_REQUEST_FILE = 'backend_down_request';

/** 'missing' when the file cannot be read (pgpool warns then); else whether node `id` is asked down. */
export function downRequested(logdir: string, id: number): boolean | 'missing' {
  let text: string;
  try {
    text = fs.readFileSync(path.join(logdir, DOWN_REQUEST_FILE), 'utf8');
  } catch {
    return 'missing';
  }
  for (const line of text.split('\n')) {
    // sscanf("%d\t%s"): an integer, whitespace, one word.
    const m = /^\s*([+-]?\d+)\s+(\S+)/.exec(line);
    if (m && Number(m[1]) === id && m[2] === 'down') return true;
  }
  return false;
}
