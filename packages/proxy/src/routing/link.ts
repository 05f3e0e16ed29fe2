/** One backend connection of a session, by its index in the session (0 is always the primary). */
import type { BackendConn, BackendOwner } from '../backend-conn';

export interface LinkEvents {
  beginBatch(): void;
  endBatch(): void;
  linkBytes(index: number, bytes: Buffer): void;
  linkMessage(index: number, type: number, body: Buffer, raw: Buffer): void;
  linkClosed(link: Link, error?: Error): void;
  linkDrained(): void;
}

export class Link implements BackendOwner {
  readonly bit: number;
  /** Its transaction failed where the client's did not (a SET only it rejected): no reads here until it ends. */
  poisoned = false;
  /** Steps sent to it whose ReadyForQuery has not come back. */
  inFlight = 0;
  /** Paused because its output waits behind another backend's, or the client is slow. */
  paused = false;

  constructor(readonly index: number, readonly conn: BackendConn, private readonly events: LinkEvents) {
    this.bit = 1 << index;
  }

  get nodeId(): number {
    return this.conn.node.id;
  }

  write(buf: Buffer): boolean {
    return this.conn.write(buf);
  }

  pause(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    if (paused) this.conn.socket.pause();
    else this.conn.socket.resume();
  }

  // BackendOwner: the connection's traffic, tagged with this link's index
  beginBatch(): void {
    this.events.beginBatch();
  }
  endBatch(): void {
    this.events.endBatch();
  }
  backendPassthrough(bytes: Buffer): void {
    this.events.linkBytes(this.index, bytes);
  }
  backendMessage(type: number, body: Buffer, raw: Buffer): void {
    this.events.linkMessage(this.index, type, body, raw);
  }
  backendClosed(_conn: BackendConn, error?: Error): void {
    this.events.linkClosed(this, error);
  }
  backendDrained(): void {
    this.events.linkDrained();
  }
}
