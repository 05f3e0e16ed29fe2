import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import fc from 'fast-check';
import {
  formatScramVerifier,
  makeScramVerifier,
  makeScramVerifierAsync,
  parseScramVerifier,
  saltedPassword,
  saltedPasswordCache,
  saslPayload,
  ScramClient,
  ScramError,
  ScramServer,
  type ScramVerifier,
} from '../src/auth';
import { injectNonce } from '../src/auth/nonce';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

// RFC 7677 §3: user "user", password "pencil".
const RFC = {
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

/** Independent of the code under test: RFC 5802 key derivation with node:crypto directly. */
function referenceKeys(password: string, salt: Buffer, iterations: number) {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return { salted, clientKey, storedKey, serverKey };
}

async function expectScramError(p: Promise<unknown> | (() => unknown), sqlstate: string | RegExp): Promise<ScramError> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ScramError);
  expect((err as ScramError).sqlstate).toMatch(sqlstate);
  return err as ScramError;
}

const rfcVerifier = (): ScramVerifier => makeScramVerifier('pencil', RFC.salt, 4096);

async function startedServer(verifier = rfcVerifier()): Promise<ScramServer> {
  const server = new ScramServer({ verifier }, { [injectNonce]: RFC.serverNonce });
  await server.start('SCRAM-SHA-256', b(RFC.clientFirst));
  return server;
}

describe('RFC 7677 test vector', () => {
  test('ScramClient produces the exact client messages and accepts the server signature', async () => {
    const client = new ScramClient('user', { password: 'pencil' }, { [injectNonce]: RFC.clientNonce });
    const first = client.initialResponse(['SCRAM-SHA-256']);
    expect(first.mechanism).toBe('SCRAM-SHA-256');
    expect(first.data.toString()).toBe(RFC.clientFirst);
    expect((await client.continue(b(RFC.serverFirst))).toString()).toBe(RFC.clientFinal);
    expect(client.verified).toBe(false);
    client.finish(b(RFC.serverFinal));
    expect(client.verified).toBe(true);
  });

  test('ScramServer produces the exact server messages and recovers ClientKey', async () => {
    const server = new ScramServer({ verifier: rfcVerifier() }, { [injectNonce]: RFC.serverNonce });
    expect((await server.start('SCRAM-SHA-256', b(RFC.clientFirst))).toString()).toBe(RFC.serverFirst);
    const result = server.finish(b(RFC.clientFinal));
    expect(result.ok).toBe(true);
    expect(result.serverFinal?.toString()).toBe(RFC.serverFinal);
    expect(result.clientKey).toEqual(referenceKeys('pencil', RFC.salt, 4096).clientKey);
  });

  test('the {clientKey, verifier} client reproduces the same exchange without the password', async () => {
    const { clientKey } = referenceKeys('pencil', RFC.salt, 4096);
    const client = new ScramClient('user', { clientKey, verifier: rfcVerifier() }, { [injectNonce]: RFC.clientNonce });
    client.initialResponse();
    expect((await client.continue(b(RFC.serverFirst))).toString()).toBe(RFC.clientFinal);
    client.finish(b(RFC.serverFinal));
    expect(client.verified).toBe(true);
  });
});

describe('client and server together', () => {
  async function exchange(client: ScramClient, server: ScramServer) {
    const first = client.initialResponse(ScramServer.mechanisms);
    const serverFirst = await server.start(first.mechanism, first.data);
    const result = server.finish(await client.continue(serverFirst));
    if (result.ok) client.finish(result.serverFinal!);
    return result;
  }

  test.each([
    ['password secret', () => new ScramServer({ password: 'correct horse' })],
    ['verifier secret', () => new ScramServer({ verifier: makeScramVerifier('correct horse') })],
  ])('right password logs in, wrong one does not (%s)', async (_, makeServer) => {
    const ok = await exchange(new ScramClient('alice', { password: 'correct horse' }), makeServer());
    expect(ok.ok).toBe(true);
    const bad = await exchange(new ScramClient('alice', { password: 'battery staple' }), makeServer());
    expect(bad).toEqual({ ok: false });
  });

  test('user names needing escaping and non-ASCII passwords', async () => {
    const password = 'pâ\u00ADss\u00A0wörd'; // SASLprep maps this to 'pâss wörd' on both sides
    const server = new ScramServer({ verifier: makeScramVerifier('pâss wörd') });
    const result = await exchange(new ScramClient('a=b,c', { password }), server);
    expect(result.ok).toBe(true);
  });

  test('a pass-through login: ClientKey recovered by the server logs in elsewhere', async () => {
    const verifier = makeScramVerifier('s3cret');
    const front = await exchange(new ScramClient('bob', { password: 's3cret' }), new ScramServer({ verifier }));
    const onward = new ScramClient('bob', { clientKey: front.clientKey!, verifier });
    expect((await exchange(onward, new ScramServer({ verifier }))).ok).toBe(true);
    expect(onward.verified).toBe(true);
  });

  test('the client rejects a server that does not hold the real ServerKey (MITM)', async () => {
    const real = makeScramVerifier('s3cret');
    const impostor: ScramVerifier = { ...real, serverKey: Buffer.alloc(32, 7) };
    const client = new ScramClient('bob', { password: 's3cret' });
    const server = new ScramServer({ verifier: impostor });
    const first = client.initialResponse();
    const result = server.finish(await client.continue(await server.start(first.mechanism, first.data)));
    expect(result.ok).toBe(true); // StoredKey is right, so the impostor accepts the proof…
    const err = await expectScramError(() => client.finish(result.serverFinal!), '28P01'); // …but cannot sign
    expect(err.message).toMatch(/incorrect server signature/);
    expect(client.verified).toBe(false);
  });

  test('a stale verifier in {clientKey, verifier} fails clearly, before sending a proof', async () => {
    const old = makeScramVerifier('s3cret');
    const clientKey = referenceKeys('s3cret', old.salt, old.iterations).clientKey;
    const client = new ScramClient('bob', { clientKey, verifier: old });
    const server = new ScramServer({ verifier: makeScramVerifier('s3cret') }); // new salt
    const first = client.initialResponse();
    const serverFirst = await server.start(first.mechanism, first.data);
    const err = await expectScramError(client.continue(serverFirst), '28P01');
    expect(err.message).toMatch(/out of date.*different salt or iteration count/);
  });

  test('a ClientKey that does not belong to the verifier is refused up front', () => {
    expect(() => new ScramClient('bob', { clientKey: Buffer.alloc(32), verifier: makeScramVerifier('x') })).toThrow(ScramError);
  });
});

describe('verifiers', () => {
  test('makeScramVerifier matches an independent derivation; defaults are 4096 iterations, 16-byte salt', () => {
    const v = makeScramVerifier('pencil');
    expect(v.iterations).toBe(4096);
    expect(v.salt).toHaveLength(16);
    const ref = referenceKeys('pencil', v.salt, 4096);
    expect(v.storedKey).toEqual(ref.storedKey);
    expect(v.serverKey).toEqual(ref.serverKey);
    expect(makeScramVerifier('pencil').salt).not.toEqual(v.salt);
  });

  test('makeScramVerifierAsync gives the same verifier', async () => {
    expect(await makeScramVerifierAsync('pencil', RFC.salt, 4096)).toEqual(rfcVerifier());
  });

  test('format / parse round trip', () => {
    const v = rfcVerifier();
    const s = formatScramVerifier(v);
    expect(s).toMatch(/^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(parseScramVerifier(s)).toEqual(v);
  });

  test.each([
    '',
    'md5' + '0'.repeat(32),
    'SCRAM-SHA-1$4096:W22ZaJ0SNY7soEsUEjb6gQ==$AAAA:AAAA',
    'SCRAM-SHA-256$0:W22ZaJ0SNY7soEsUEjb6gQ==$' + 'A'.repeat(43) + '=:' + 'A'.repeat(43) + '=',
    'SCRAM-SHA-256$x:W22ZaJ0SNY7soEsUEjb6gQ==$' + 'A'.repeat(43) + '=:' + 'A'.repeat(43) + '=',
    'SCRAM-SHA-256$99999999999:W22ZaJ0SNY7soEsUEjb6gQ==$' + 'A'.repeat(43) + '=:' + 'A'.repeat(43) + '=',
    'SCRAM-SHA-256$4096:!!!$' + 'A'.repeat(43) + '=:' + 'A'.repeat(43) + '=',
    'SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$AAAA:' + 'A'.repeat(43) + '=', // StoredKey too short
    'SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$' + 'A'.repeat(43) + '=', // no ServerKey
    'SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$' + 'A'.repeat(43) + '=:' + 'A'.repeat(43) + '=$x',
  ])('parseScramVerifier rejects %j', (s) => {
    expect(parseScramVerifier(s)).toBeNull();
  });
});

describe('saltedPassword cache', () => {
  beforeEach(() => saltedPasswordCache.clear());
  afterAll(() => {
    saltedPasswordCache.maxEntries = 1000;
    saltedPasswordCache.clear();
  });

  test('derives SaltedPassword once per (password, salt, iterations)', async () => {
    const expected = referenceKeys('pencil', RFC.salt, 4096).salted;
    const [a, c] = await Promise.all([saltedPassword('pencil', RFC.salt, 4096), saltedPassword('pencil', RFC.salt, 4096)]);
    expect(a).toEqual(expected);
    expect(c).toEqual(expected);
    expect(await saltedPassword('pencil', RFC.salt, 4096)).toEqual(expected);
    expect(saltedPasswordCache.misses).toBe(1); // concurrent callers shared one PBKDF2 run
    expect(saltedPasswordCache.hits).toBe(2);
    await saltedPassword('pencil', RFC.salt, 4097);
    await saltedPassword('pencil2', RFC.salt, 4096);
    expect(saltedPasswordCache.misses).toBe(3);
  });

  test('callers get a copy they may overwrite', async () => {
    const a = await saltedPassword('pencil', RFC.salt, 4096);
    a.fill(0);
    expect(await saltedPassword('pencil', RFC.salt, 4096)).toEqual(referenceKeys('pencil', RFC.salt, 4096).salted);
  });

  test('is bounded and evicts the least recently used entry', async () => {
    saltedPasswordCache.maxEntries = 2;
    await saltedPassword('a', RFC.salt, 16);
    await saltedPassword('b', RFC.salt, 16);
    await saltedPassword('a', RFC.salt, 16); // a is now the most recent
    await saltedPassword('c', RFC.salt, 16); // evicts b
    expect(saltedPasswordCache.size).toBe(2);
    const misses = saltedPasswordCache.misses;
    await saltedPassword('a', RFC.salt, 16);
    expect(saltedPasswordCache.misses).toBe(misses);
    await saltedPassword('b', RFC.salt, 16);
    expect(saltedPasswordCache.misses).toBe(misses + 1);
  });

  test('rejects nonsense parameters', async () => {
    await expect(saltedPassword('p', Buffer.alloc(0), 4096)).rejects.toThrow(RangeError);
    await expect(saltedPassword('p', RFC.salt, 0)).rejects.toThrow(RangeError);
    await expect(saltedPassword('p', RFC.salt, 1.5)).rejects.toThrow(RangeError);
  });
});

describe('ScramServer: bad client input is a ScramError, never anything else', () => {
  test.each([
    ['missing n=', 'n,,r=abc', '08P01'],
    ['missing r=', 'n,,n=user', '08P01'],
    ['empty nonce', 'n,,n=user,r=', '08P01'],
    ['non-printable nonce', 'n,,n=user,r=ab\x01c', '08P01'],
    ['bad gs2 flag', 'x,,n=user,r=abc', '08P01'],
    ['gs2 header without comma', 'n;,n=user,r=abc', '08P01'],
    ['gs2 header missing authzid comma', 'n,n=user,r=abc', '08P01'],
    ['channel binding requested', 'p=tls-server-end-point,,n=user,r=abc', '08P01'],
    ['authzid', 'n,a=admin,n=user,r=abc', '0A000'],
    ['mandatory extension', 'n,,m=ext,n=user,r=abc', '0A000'],
    ['trailing comma', 'n,,n=user,r=abc,', '08P01'],
    ['attribute without =', 'n,,n=user,r=abc,x', '08P01'],
    ['empty message', '', '08P01'],
    ['embedded NUL', 'n,,n=user,r=abc\0', '08P01'],
  ])('client-first: %s', async (_, msg, sqlstate) => {
    const server = new ScramServer({ verifier: rfcVerifier() });
    await expectScramError(server.start('SCRAM-SHA-256', b(msg)), sqlstate);
    await expectScramError(() => server.finish(b(RFC.clientFinal)), '08P01'); // the exchange is over
  });

  test.each(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1', 'PLAIN', ''])('unsupported mechanism %j', async (mech) => {
    const err = await expectScramError(new ScramServer({ password: 'x' }).start(mech, b(RFC.clientFirst)), '08P01');
    expect(err.message).toBe('client selected an invalid SASL authentication mechanism');
  });

  const finalWith = (proof: string, rest = '') => `c=biws,r=${RFC.clientNonce}${RFC.serverNonce}${rest},p=${proof}`;
  const goodProof = RFC.clientFinal.split(',p=')[1]!;

  test.each([
    ['wrong nonce', `c=biws,r=${RFC.clientNonce}XXXX,p=${goodProof}`],
    ['client nonce only', `c=biws,r=${RFC.clientNonce},p=${goodProof}`],
    ['non-base64 proof', finalWith('!!!not*base64!!!')],
    ['proof of the wrong length', finalWith('AAAA')],
    ['empty proof', finalWith('')],
    ['missing proof', `c=biws,r=${RFC.clientNonce}${RFC.serverNonce}`],
    ['garbage after proof', finalWith(goodProof) + ',x=1'],
    ['channel binding that does not match the gs2 header', RFC.clientFinal.replace('c=biws', 'c=eSws')],
    ['channel binding data', RFC.clientFinal.replace('c=biws', 'c=cD10bHMtdW5pcXVlLCw=')],
    ['attributes out of order', `r=${RFC.clientNonce}${RFC.serverNonce},c=biws,p=${goodProof}`],
    ['embedded NUL', RFC.clientFinal + '\0'],
  ])('client-final: %s', async (_, msg) => {
    const server = await startedServer();
    const err = await expectScramError(() => server.finish(b(msg)), '08P01');
    expect(err.message).toMatch(/SCRAM|nonce/);
  });

  test('extensions before the proof are skipped, the proof still checked', async () => {
    const server = await startedServer();
    const msg = RFC.clientFinal.replace(',p=', ',x=ext,p=');
    expect(server.finish(b(msg))).toEqual({ ok: false }); // the extension is part of AuthMessage
  });

  test("gs2 flag 'y' (client could bind, we offered no -PLUS) is accepted; c= must then echo 'y,,'", async () => {
    const yFirst = b(RFC.clientFirst.replace(/^n,,/, 'y,,'));
    const mismatched = new ScramServer({ verifier: rfcVerifier() }, { [injectNonce]: RFC.serverNonce });
    await mismatched.start('SCRAM-SHA-256', yFirst);
    await expectScramError(() => mismatched.finish(b(RFC.clientFinal)), '08P01'); // c=biws is "n,,"
    const matched = new ScramServer({ verifier: rfcVerifier() }, { [injectNonce]: RFC.serverNonce });
    await matched.start('SCRAM-SHA-256', yFirst);
    expect(matched.finish(b(RFC.clientFinal.replace('c=biws', 'c=eSws')))).toEqual({ ok: false }); // parsed; proof is for n,,
  });

  test('a well-formed but wrong proof is ok:false, not an error', async () => {
    const server = await startedServer();
    expect(server.finish(b(RFC.clientFinal.replace(/p=.*/, 'p=' + Buffer.alloc(32).toString('base64'))))).toEqual({ ok: false });
  });

  test('messages out of order', async () => {
    await expectScramError(() => new ScramServer({ password: 'x' }).finish(b(RFC.clientFinal)), '08P01');
    const server = await startedServer();
    await expectScramError(server.start('SCRAM-SHA-256', b(RFC.clientFirst)), '08P01');
    server.finish(b(RFC.clientFinal));
    await expectScramError(() => server.finish(b(RFC.clientFinal)), '08P01');
  });

  test('fuzz: arbitrary bytes and mutated messages only ever raise ScramError', async () => {
    const mutate = fc
      .tuple(fc.constantFrom(RFC.clientFirst, RFC.clientFinal), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean())
      .map(([s, pos, byte, cut]) => {
        const buf = b(s);
        const i = pos % buf.length;
        if (cut) return buf.subarray(0, i);
        const out = Buffer.from(buf);
        out[i] = byte;
        return out;
      });
    const input = fc.oneof(fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)), mutate);
    await fc.assert(
      fc.asyncProperty(input, input, async (first, final) => {
        const server = new ScramServer({ verifier: rfcVerifier() }, { [injectNonce]: RFC.serverNonce });
        try {
          await server.start('SCRAM-SHA-256', first);
          server.finish(final);
        } catch (e) {
          if (!(e instanceof ScramError) || !/^(08P01|28P01|0A000)$/.test(e.sqlstate)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('ScramClient: bad server input is a ScramError', () => {
  const client = () => {
    const c = new ScramClient('user', { password: 'pencil' }, { [injectNonce]: RFC.clientNonce, maxIterations: 100_000 });
    c.initialResponse();
    return c;
  };

  test.each([
    ['nonce without our prefix', RFC.serverFirst.replace('r=rOpr', 'r=XXXX')],
    ['nonce with nothing added', `r=${RFC.clientNonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`],
    ['zero iterations', RFC.serverFirst.replace('i=4096', 'i=0')],
    ['non-numeric iterations', RFC.serverFirst.replace('i=4096', 'i=4k')],
    ['negative iterations', RFC.serverFirst.replace('i=4096', 'i=-1')],
    ['absurd iterations', RFC.serverFirst.replace('i=4096', 'i=99999999999')],
    ['more iterations than allowed', RFC.serverFirst.replace('i=4096', 'i=100001')],
    ['bad salt', RFC.serverFirst.replace('s=W22Z', 's=*22Z')],
    ['empty salt', RFC.serverFirst.replace('s=W22ZaJ0SNY7soEsUEjb6gQ==', 's=')],
    ['missing salt', `r=${RFC.clientNonce}${RFC.serverNonce},i=4096`],
    ['mandatory extension', 'm=x,' + RFC.serverFirst],
    ['empty', ''],
  ])('server-first: %s', async (_, msg) => {
    await expectScramError(client().continue(b(msg)), '08P01');
  });

  test.each([
    ['server error', 'e=invalid-proof', '28P01'],
    ['wrong signature', 'v=' + Buffer.alloc(32).toString('base64'), '28P01'],
    ['non-base64 signature', 'v=!!!', '08P01'],
    ['short signature', 'v=AAAA', '08P01'],
    ['no v=', 'x=1', '08P01'],
  ])('server-final: %s', async (_, msg, sqlstate) => {
    const c = client();
    await c.continue(b(RFC.serverFirst));
    await expectScramError(() => c.finish(b(msg)), sqlstate);
    expect(c.verified).toBe(false);
  });

  test('refuses a server that offers only SCRAM-SHA-256-PLUS', async () => {
    const c = new ScramClient('user', { password: 'pencil' });
    const err = await expectScramError(() => c.initialResponse(['SCRAM-SHA-256-PLUS']), '08P01');
    expect(err.message).toMatch(/channel binding/);
    expect(() => new ScramClient('u', { password: 'p' }).initialResponse(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'])).not.toThrow();
  });

  test('messages out of order', async () => {
    const c = new ScramClient('user', { password: 'pencil' });
    await expectScramError(c.continue(b(RFC.serverFirst)), '08P01');
    const d = client();
    await expectScramError(() => d.finish(b(RFC.serverFinal)), '08P01');
  });

  test('fuzz: arbitrary server messages only ever raise ScramError', async () => {
    const bytes = fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u));
    await fc.assert(
      fc.asyncProperty(bytes, bytes, async (first, final) => {
        const c = client();
        try {
          await c.continue(first);
          c.finish(final);
        } catch (e) {
          if (!(e instanceof ScramError)) throw e;
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('saslPayload', () => {
  test('AuthenticationSASL mechanism list round trip', () => {
    const body = saslPayload.encodeMechanisms(ScramServer.mechanisms);
    expect(body).toEqual(Buffer.from('\0\0\0\x0aSCRAM-SHA-256\0\0', 'latin1'));
    expect(saslPayload.decodeMechanisms(body)).toEqual(['SCRAM-SHA-256']);
    expect(saslPayload.decodeMechanisms(saslPayload.encodeMechanisms(['A', 'B-PLUS']))).toEqual(['A', 'B-PLUS']);
    expect(saslPayload.decodeMechanisms(saslPayload.encodeMechanisms([]))).toEqual([]);
    expect(() => saslPayload.decodeMechanisms(Buffer.from('\0\0\0\x0aSCRAM', 'latin1'))).toThrow(ScramError);
    expect(() => saslPayload.decodeMechanisms(Buffer.from('\0\0\0\x0bA\0\0', 'latin1'))).toThrow(ScramError);
  });

  test('SASLContinue / SASLFinal bodies', () => {
    expect(saslPayload.encodeContinue(b('r=x'))).toEqual(Buffer.from('\0\0\0\x0br=x', 'latin1'));
    expect(saslPayload.encodeFinal(b('v=x'))).toEqual(Buffer.from('\0\0\0\x0cv=x', 'latin1'));
  });

  test('SASLInitialResponse round trip, with and without data', () => {
    const body = saslPayload.encodeInitialResponse('SCRAM-SHA-256', b(RFC.clientFirst));
    expect(saslPayload.decodeInitialResponse(body)).toEqual({ mechanism: 'SCRAM-SHA-256', data: b(RFC.clientFirst) });
    expect(saslPayload.decodeInitialResponse(saslPayload.encodeInitialResponse('X', null))).toEqual({ mechanism: 'X', data: null });
  });

  test.each([
    ['no NUL', 'SCRAM-SHA-256'],
    ['no length', 'SCRAM-SHA-256\0'],
    ['length too long', 'SCRAM-SHA-256\0\0\0\0\x09abc'],
    ['length too short', 'SCRAM-SHA-256\0\0\0\0\x01abc'],
    ['empty mechanism', '\0\0\0\0\x01a'],
  ])('SASLInitialResponse: %s', (_, body) => {
    expect(() => saslPayload.decodeInitialResponse(Buffer.from(body, 'latin1'))).toThrow(ScramError);
  });
});
