import * as net from 'node:net';
import * as vm from 'node:vm';
import { freePort } from '@pgrelay/testkit';

test('freePort hands out distinct loopback ports that can be bound', async () => {
  const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
  expect(new Set(ports).size).toBe(20);
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(ports[0], '127.0.0.1', resolve));
  await new Promise((r) => srv.close(r));
});

test('the exit hook is registered on the real process, not jest\'s stand-in', async () => {
  await freePort();
  const real = vm.runInThisContext('process') as NodeJS.Process & Record<symbol, unknown>;
  expect(real[Symbol.for('pgrelay.testkit.registry')]).toBeDefined();
  expect(real.listenerCount('exit')).toBeGreaterThan(0);
});
