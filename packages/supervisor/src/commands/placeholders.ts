/**
 * pgpool's %-placeholders for failover_command, failback_command and follow_primary_command
 * (pgpool-compat.md §5). Expansion is checked byte for byte against pgpool 4.3.5's
 * `execute command:` lines: no padding, `""` for a node that does not exist, unknown `%x`
 * and a trailing lone `%` dropped.
 */

/** One backend as the placeholders see it (a BackendConfig or NodeState fits). */
export interface PlaceholderBackend {
  id: number;
  hostname: string;
  port: number;
  data_directory: string;
}

/** The node ids a command is about; -1 where there is none. */
export interface PlaceholderIds {
  /** %d: the failed node (failover), the node attached (failback), the node to follow (follow_primary). */
  node: number;
  /** %m: the new main node (for promote/switchover: the node to promote; for follow_primary: the new primary). */
  newMain: number;
  /** %M: the old main node. */
  oldMain: number;
  /** %P: the old primary (failback: the current primary). */
  oldPrimary: number;
}

/** Each placeholder's text, already resolved. Keys are the placeholder letters. */
export interface PlaceholderVars {
  d: string;
  h: string;
  p: string;
  D: string;
  m: string;
  H: string;
  r: string;
  R: string;
  M: string;
  P: string;
  N: string;
  S: string;
}

/** pgpool writes these two characters where a referenced node does not exist. */
export const MISSING = '""';

export function placeholderVars(ids: PlaceholderIds, backends: readonly PlaceholderBackend[]): PlaceholderVars {
  const find = (id: number) => (id >= 0 ? backends.find((b) => b.id === id) : undefined);
  const node = find(ids.node);
  const newMain = find(ids.newMain);
  const oldPrimary = find(ids.oldPrimary);
  return {
    d: String(ids.node),
    h: node ? node.hostname : MISSING,
    p: node ? String(node.port) : MISSING,
    D: node ? node.data_directory : MISSING,
    m: String(ids.newMain),
    H: newMain ? newMain.hostname : MISSING,
    r: newMain ? String(newMain.port) : MISSING,
    R: newMain ? newMain.data_directory : MISSING,
    M: String(ids.oldMain),
    P: String(ids.oldPrimary),
    N: oldPrimary ? oldPrimary.hostname : MISSING,
    S: oldPrimary ? String(oldPrimary.port) : MISSING,
  };
}

const LETTERS = new Set('dhpDmHrRMPNS');

export function expandPlaceholders(template: string, vars: PlaceholderVars): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const key = template[i + 1];
    if (key === undefined) break;
    i++;
    if (key === '%') out += '%';
    else if (LETTERS.has(key)) out += vars[key as keyof PlaceholderVars];
  }
  return out;
}
