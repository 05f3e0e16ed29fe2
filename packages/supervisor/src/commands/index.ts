export {
  expandPlaceholders,
  placeholderVars,
  MISSING,
  type PlaceholderBackend,
  type PlaceholderIds,
  type PlaceholderVars,
} from './placeholders';
export { runCommand, type RunOptions, type RunResult } from './run';
