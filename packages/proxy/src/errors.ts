/** Errors a session ends with, carrying what the client must be told. */
import { errorResponse, type Notice } from '@pgrelay/protocol';

export class ClientError extends Error {
  constructor(readonly notice: Notice) {
    super(notice.message);
  }

  /** The ErrorResponse to send the client. */
  toMessage(): Buffer {
    return errorResponse(this.notice);
  }
}

export const fatal = (code: string, message: string, detail?: string, hint?: string): ClientError =>
  new ClientError({ severity: 'FATAL', code, message, detail, hint });

/** A backend refused us with its own ErrorResponse: the client gets those exact bytes. */
export class BackendRefusal extends Error {
  constructor(readonly raw: Buffer, readonly sqlstate: string | undefined, message: string) {
    super(message);
  }
}

/** The backend could not be reached or failed mid-conversation. */
export class BackendUnreachable extends Error {
  constructor(readonly nodeId: number, message: string) {
    super(message);
  }
}
