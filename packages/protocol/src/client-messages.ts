/** Messages pgrelay sends to a backend in the role of a client (pg-protocol's serializer). */
import { serialize } from 'pg-protocol';

export const startupMessage = (params: Record<string, string>): Buffer => serialize.startup(params);
export const passwordMessage = (password: string): Buffer => serialize.password(password);
export const saslInitial = (mechanism: string, data: Buffer): Buffer =>
  serialize.sendSASLInitialResponseMessage(mechanism, data.toString('utf8'));
export const saslResponse = (data: Buffer): Buffer => serialize.sendSCRAMClientFinalMessage(data.toString('utf8'));
export const simpleQuery = (sql: string): Buffer => serialize.query(sql);
export const terminate = (): Buffer => serialize.end();
export const cancelRequest = (pid: number, key: number): Buffer => serialize.cancel(pid, key);
