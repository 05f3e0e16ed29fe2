/**
 * Why a recovery stopped, in pgpool's words: pcp_recovery_node prints `message` (and `detail`)
 * as its ERROR, so the operator reads the same text pgpool would show.
 */
export class RecoveryFailure extends Error {
  constructor(
    message: string,
    readonly detail?: string,
    /** What pgrelay knows beyond pgpool's text (the server's error, a timeout), for the log only. */
    readonly reason?: string,
  ) {
    super(message);
  }
}
