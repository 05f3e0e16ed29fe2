// Interop over real sockets: node-postgres logging in to a minimal server built on ScramServer,
// and ScramClient logging in to a real PostgreSQL 15 started for this file.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { Client } from 'pg';
import {
  makeScramVerifier,
  md5Response,
  md5Secret,
  md5Verify,
  parseScramVerifier,
  saslPayload,
  ScramClient,
  ScramError,
  ScramServer,
  type Md5Secret,
  type ScramServerResult,
  type ScramServerSecret,
  type ScramVerifier,
} from '../src/auth';

// ---- just enough wire protocol for a login --------------------------------------------------------

const cstr = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf8');
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

/** Reads whole protocol messages from a socket, in either direction. */
class Wire {
  #buf = Buffer.alloc(0);
  #wake: (() => void) | null = null;
  #closed = false;

  constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#wake?.();
    });
    const closed = () => {
      this.#closed = true;
      this.#wake?.();
    };
    sock.on('close', closed);
    sock.on('error', closed);
  }

  async #need(n: number): Promise<void> {
    while (this.#buf.length < n) {
      if (this.#closed) throw new Error('connection closed');
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = null;
    }
  }

  #take(n: number): Buffer {
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** A startup-phase packet (no type byte): its body after the length. */
  async startupPacket(): Promise<Buffer> {
    await this.#need(4);
    const len = this.#buf.readInt32BE(0);
    await this.#need(len);
    return this.#take(len).subarray(4);
  }

  async message(): Promise<{ type: string; body: Buffer }> {
    await this.#need(5);
    const len = this.#buf.readInt32BE(1);
    await this.#need(1 + len);
    const msg = this.#take(1 + len);
    return { type: String.fromCharCode(msg[0]!), body: msg.subarray(5) };
  }

  send(type: string, body: Buffer = Buffer.alloc(0)): void {
    this.sock.write(Buffer.concat([Buffer.from(type, 'latin1'), int32(4 + body.length), body]));
  }

  sendStartup(params: Record<string, string>): void {
    const body = Buffer.concat([int32(196608), ...Object.entries(params).flatMap(([k, v]) => [cstr(k), cstr(v)]), Buffer.from([0])]);
    this.sock.write(Buffer.concat([int32(4 + body.length), body]));
  }
}

function errorFields(body: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const end = body.indexOf(0, i + 1);
    fields[String.fromCharCode(body[i]!)] = body.subarray(i + 1, end).toString('utf8');
    i = end + 1;
  }
  return fields;
}

// ---- a minimal PostgreSQL-speaking server that authenticates with our code -------------------------

type FakeAuth = { scram: ScramServerSecret } | { md5: Md5Secret };

interface FakeServer {
  port: number;
  results: Array<{ user: string; result: ScramServerResult }>;
  close(): Promise<void>;
}

async function startFakeServer(authFor: (user: string) => FakeAuth): Promise<FakeServer> {
  const results: FakeServer['results'] = [];

  async function session(sock: net.Socket): Promise<void> {
    const wire = new Wire(sock);
    let startup = await wire.startupPacket();
    if (startup.readInt32BE(0) === 80877103) {
      sock.write('N'); // SSLRequest: no TLS here
      startup = await wire.startupPacket();
    }
    const parts = startup.subarray(4).toString('utf8').split('\0');
    const user = parts[parts.indexOf('user') + 1]!;
    const expectPassword = async (): Promise<Buffer> => {
      const m = await wire.message();
      if (m.type !== 'p') throw new ScramError(`expected password response, got "${m.type}"`, '08P01');
      return m.body;
    };
    const failed = () => new ScramError(`password authentication failed for user "${user}"`, '28P01');
    try {
      const auth = authFor(user);
      if ('scram' in auth) {
        const server = new ScramServer(auth.scram);
        wire.send('R', saslPayload.encodeMechanisms(ScramServer.mechanisms));
        const init = saslPayload.decodeInitialResponse(await expectPassword());
        let clientFirst = init.data;
        if (clientFirst === null) {
          wire.send('R', saslPayload.encodeContinue(Buffer.alloc(0)));
          clientFirst = await expectPassword();
        }
        wire.send('R', saslPayload.encodeContinue(await server.start(init.mechanism, clientFirst)));
        const result = server.finish(await expectPassword());
        results.push({ user, result });
        if (!result.ok) throw failed();
        wire.send('R', saslPayload.encodeFinal(result.serverFinal!));
      } else {
        const salt = randomBytes(4);
        wire.send('R', Buffer.concat([int32(5), salt]));
        const response = (await expectPassword()).toString('utf8').replace(/\0$/, '');
        if (!md5Verify(auth.md5, user, salt, response)) throw failed();
      }
      wire.send('R', int32(0));
      wire.send('Z', Buffer.from('I'));
      for (;;) {
        const m = await wire.message();
        if (m.type === 'X') break;
        if (m.type === 'Q') {
          wire.send('I'); // EmptyQueryResponse: this server runs no SQL
          wire.send('Z', Buffer.from('I'));
        }
      }
    } catch (e) {
      const err = e instanceof ScramError ? e : new ScramError(String(e), 'XX000');
      const body = [cstr('SFATAL'), cstr('VFATAL'), cstr(`C${err.sqlstate}`), cstr(`M${err.message}`)];
      if (err.detail) body.push(cstr(`D${err.detail}`));
      wire.send('E', Buffer.concat([...body, Buffer.from([0])]));
    } finally {
      sock.end();
    }
  }

  const sockets = new Set<net.Socket>();
  const srv = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    void session(sock).catch(() => sock.destroy());
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return {
    port: (srv.address() as net.AddressInfo).port,
    results,
    close: () =>
      new Promise((resolve) => {
        for (const sock of sockets) sock.destroy();
        srv.close(() => resolve());
      }),
  };
}

async function pgLogin(port: number, user: string, password: string): Promise<void> {
  const client = new Client({ host: '127.0.0.1', port, user, password, database: 'postgres' });
  client.on('error', () => undefined);
  await client.connect();
  await client.end();
}

// ---- our client, by hand, against a real server -----------------------------------------------------

type LoginResult = { ok: true; currentUser: string } | { ok: false; code: string; message: string };

async function rawLogin(port: number, user: string, auth: { scram?: ScramClient; md5?: Md5Secret }): Promise<LoginResult> {
  const sock = net.connect(port, '127.0.0.1');
  await once(sock, 'connect');
  const wire = new Wire(sock);
  try {
    wire.sendStartup({ user, database: 'postgres' });
    for (;;) {
      const m = await wire.message();
      if (m.type === 'E') {
        const f = errorFields(m.body);
        return { ok: false, code: f.C!, message: f.M! };
      }
      if (m.type === 'Z') break;
      if (m.type !== 'R') continue; // ParameterStatus, BackendKeyData
      const code = m.body.readInt32BE(0);
      const data = m.body.subarray(4);
      const { scram, md5 } = auth;
      if (code === 0) {
        // The check a proxy must make: a server that skips SASLFinal has proved nothing.
        if (scram && !scram.verified) throw new Error('AuthenticationOk before the server proved itself');
      } else if (code === 5 && md5) {
        wire.send('p', cstr(md5Response(md5, user, data)));
      } else if (code === 10 && scram) {
        const first = scram.initialResponse(saslPayload.decodeMechanisms(m.body));
        wire.send('p', saslPayload.encodeInitialResponse(first.mechanism, first.data));
      } else if (code === 11 && scram) {
        wire.send('p', await scram.continue(data));
      } else if (code === 12 && scram) {
        scram.finish(data);
      } else {
        throw new Error(`unexpected authentication request ${code}`);
      }
    }
    // Prove the session is usable: SELECT current_user.
    wire.send('Q', cstr('SELECT current_user'));
    let currentUser = '';
    for (;;) {
      const m = await wire.message();
      if (m.type === 'D') currentUser = m.body.subarray(6, 6 + m.body.readInt32BE(2)).toString('utf8');
      if (m.type === 'E') throw new Error(errorFields(m.body).M);
      if (m.type === 'Z') break;
    }
    wire.send('X');
    return { ok: true, currentUser };
  } finally {
    sock.destroy();
  }
}

// ---- node-postgres → ScramServer ------------------------------------------------------------------

describe('node-postgres logs in to a server built on ScramServer / md5Verify', () => {
  let server: FakeServer;
  const secrets: Record<string, FakeAuth> = {
    pw_user: { scram: { password: 'right pass' } },
    ver_user: { scram: { verifier: makeScramVerifier('right pass') } },
    md5_user: { md5: { md5: md5Secret('right pass', 'md5_user') } },
  };

  beforeAll(async () => {
    server = await startFakeServer((user) => secrets[user]!);
  });
  afterAll(() => server.close());

  test.each(Object.keys(secrets))('%s: right password succeeds, wrong password fails with 28P01', async (user) => {
    await pgLogin(server.port, user, 'right pass');
    await expect(pgLogin(server.port, user, 'wrong pass')).rejects.toMatchObject({
      code: '28P01',
      message: `password authentication failed for user "${user}"`,
    });
  });

  test('ScramClient logs in to it too', async () => {
    const result = await rawLogin(server.port, 'ver_user', { scram: new ScramClient('ver_user', { password: 'right pass' }) });
    expect(result).toEqual({ ok: true, currentUser: '' }); // it runs no SQL, but the login completed
  });
});

// ---- ScramClient → real PostgreSQL 15 ------------------------------------------------------------

const PG_BIN = '/usr/lib/postgresql/15/bin';
const run = promisify(execFile);

// Passwords that exercise SASLprep; PostgreSQL hashes each of them, and we must agree.
const PREP_PASSWORDS = [
  'I\u00ADX', // mapped to nothing
  '\u00AA\u2168', // NFKC
  'x\u00A0y\u3000z', // non-ASCII spaces
  'x\u200By', // in both C.1.2 and B.1
  'e\u0301\uFB01\u{1D400}', // composition, ligature, astral plane
  'pässwörd密码',
  'a\u0007é', // prohibited: raw
  '\u05D0a\u05D1', // bidi violation: raw
  '\u05D0\u2122\u05D0', // bidi checked before NFKC
  'é\u0221', // unassigned in Unicode 3.2: raw
  'é\uE000', // private use: raw
  '\u00AD', // empty after mapping: raw
  '\u0007', // ASCII: untouched
];

describe('ScramClient against a real PostgreSQL 15', () => {
  let dir: string | undefined;
  let started = false;
  let port = 0;
  let ids: { uid: number; gid: number };
  let admin: Client;

  const asPostgres = (bin: string, args: string[]) =>
    run(join(PG_BIN, bin), args, {
      uid: ids.uid,
      gid: ids.gid,
      cwd: dir,
      env: { PATH: process.env.PATH, LC_ALL: 'C', HOME: dir },
      timeout: 120_000,
    });

  const rolpassword = async (role: string): Promise<string> =>
    (await admin.query('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role])).rows[0].rolpassword;

  beforeAll(async () => {
    // PostgreSQL refuses to run as root: everything runs as the postgres OS user.
    const [, , uid, gid] = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).split(':');
    ids = { uid: Number(uid), gid: Number(gid) };
    dir = mkdtempSync(join(tmpdir(), 'pgrelay-auth-'));
    chownSync(dir, ids.uid, ids.gid);
    const data = join(dir, 'data');
    await asPostgres('initdb', ['-D', data, '-U', 'postgres', '-E', 'UTF8', '--locale=C', '-A', 'trust', '--no-sync']);
    writeFileSync(
      join(data, 'pg_hba.conf'),
      [
        'local all all trust',
        'host all postgres 127.0.0.1/32 trust',
        'host all md5_user 127.0.0.1/32 md5',
        'host all all 127.0.0.1/32 scram-sha-256',
      ].join('\n') + '\n',
    );
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    started = true; // from here on afterAll must stop it, even if start itself fails half-way
    try {
      await asPostgres('pg_ctl', [
        '-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', '60',
        '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start',
      ]);
    } catch (e) {
      let log = '';
      try {
        log = readFileSync(join(dir, 'postgres.log'), 'utf8');
      } catch {}
      throw new Error(`pg_ctl start failed: ${String(e)}\n${log}`);
    }

    admin = new Client({ host: dir, port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query("CREATE ROLE scram_user LOGIN PASSWORD 'scram_pass'");
    await admin.query("SET password_encryption = 'md5'");
    await admin.query("CREATE ROLE md5_user LOGIN PASSWORD 'md5_pass'");
    await admin.query("SET password_encryption = 'scram-sha-256'");
    for (const [i, pw] of PREP_PASSWORDS.entries()) {
      await admin.query(`CREATE ROLE prep_${i} LOGIN PASSWORD ${admin.escapeLiteral(pw)}`);
    }
  }, 180_000);

  afterAll(async () => {
    await admin?.end().catch(() => undefined);
    if (started && dir) {
      await asPostgres('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test('password login; a wrong password is refused by the server with 28P01', async () => {
    const ok = await rawLogin(port, 'scram_user', { scram: new ScramClient('scram_user', { password: 'scram_pass' }) });
    expect(ok).toEqual({ ok: true, currentUser: 'scram_user' });
    const bad = await rawLogin(port, 'scram_user', { scram: new ScramClient('scram_user', { password: 'nope' }) });
    expect(bad).toEqual({ ok: false, code: '28P01', message: 'password authentication failed for user "scram_user"' });
  });

  test('pass-through: node-postgres logs in to ScramServer holding pg_authid\'s verifier, the recovered ClientKey logs in to PostgreSQL', async () => {
    const verifier = parseScramVerifier(await rolpassword('scram_user'));
    expect(verifier).not.toBeNull();
    const fake = await startFakeServer(() => ({ scram: { verifier: verifier! } }));
    try {
      await pgLogin(fake.port, 'scram_user', 'scram_pass');
      await expect(pgLogin(fake.port, 'scram_user', 'wrong')).rejects.toMatchObject({ code: '28P01' });
    } finally {
      await fake.close();
    }
    const clientKey = fake.results.find((r) => r.result.ok)!.result.clientKey!;
    const client = new ScramClient('scram_user', { clientKey, verifier: verifier! });
    expect(await rawLogin(port, 'scram_user', { scram: client })).toEqual({ ok: true, currentUser: 'scram_user' });
    expect(client.verified).toBe(true);
  });

  test('a {clientKey, verifier} pair from another salt fails clearly', async () => {
    const stale = makeScramVerifier('scram_pass'); // not the salt PostgreSQL has
    const server = new ScramServer({ verifier: stale });
    const front = new ScramClient('scram_user', { password: 'scram_pass' });
    const first = front.initialResponse();
    const result = server.finish(await front.continue(await server.start(first.mechanism, first.data)));
    const client = new ScramClient('scram_user', { clientKey: result.clientKey!, verifier: stale });
    await expect(rawLogin(port, 'scram_user', { scram: client })).rejects.toThrow(/out of date/);
  });

  test('PostgreSQL accepts a verifier made by makeScramVerifier', async () => {
    const v = makeScramVerifier('made by pgrelay');
    await admin.query("CREATE ROLE made_user LOGIN PASSWORD '" + `SCRAM-SHA-256$${v.iterations}:${v.salt.toString('base64')}$${v.storedKey.toString('base64')}:${v.serverKey.toString('base64')}'`);
    expect(parseScramVerifier(await rolpassword('made_user'))).toEqual(v);
    const ok = await rawLogin(port, 'made_user', { scram: new ScramClient('made_user', { password: 'made by pgrelay' }) });
    expect(ok).toEqual({ ok: true, currentUser: 'made_user' });
  });

  test('md5: pg_authid holds md5Secret(), and md5Response logs in from the password or the hash', async () => {
    const stored = await rolpassword('md5_user');
    expect(stored).toBe(md5Secret('md5_pass', 'md5_user'));
    expect(await rawLogin(port, 'md5_user', { md5: { password: 'md5_pass' } })).toEqual({ ok: true, currentUser: 'md5_user' });
    expect(await rawLogin(port, 'md5_user', { md5: { md5: stored } })).toEqual({ ok: true, currentUser: 'md5_user' });
    expect(await rawLogin(port, 'md5_user', { md5: { password: 'wrong' } })).toMatchObject({ ok: false, code: '28P01' });
  });

  test.each(PREP_PASSWORDS.map((pw, i) => [JSON.stringify(pw), i, pw] as const))(
    'SASLprep agrees with PostgreSQL for %s',
    async (_, i, pw) => {
      const pgVerifier: ScramVerifier | null = parseScramVerifier(await rolpassword(`prep_${i}`));
      expect(pgVerifier).not.toBeNull();
      expect(makeScramVerifier(pw, pgVerifier!.salt, pgVerifier!.iterations)).toEqual(pgVerifier);
      const login = await rawLogin(port, `prep_${i}`, { scram: new ScramClient(`prep_${i}`, { password: pw }) });
      expect(login).toEqual({ ok: true, currentUser: `prep_${i}` });
    },
  );
});
