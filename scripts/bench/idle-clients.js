'use strict';
// Holds many idle client connections to a pooler, as cheaply as a client can: raw sockets,
// a StartupMessage, a trust login, then nothing. Run as a child of bench.js (IPC):
//   → { t: 'open', host, port, count, user, database, wait: 'ready'|'sent', concurrency }
//   ← { t: 'progress', ... } … { t: 'opened', connected, ready, failed, errors, ms }
//   → { t: 'close' }  ← { t: 'closed' }
// wait 'ready': a connection counts once ReadyForQuery arrives (logged in, idle).
// wait 'sent':  once the StartupMessage is written (for clients the pooler keeps waiting
//               for a session slot: nothing comes back until one frees up).
// Standalone: node scripts/bench/idle-clients.js PORT COUNT [ready|sent]

const net = require('node:net');

const sockets = [];
/** Connections that are open right now (a pooler may close some after we counted them). */
let openNow = 0;

function startupMessage(user, database) {
  const params = Buffer.from(`user\0${user}\0database\0${database}\0application_name\0idle-clients\0\0`);
  const b = Buffer.alloc(8 + params.length);
  b.writeInt32BE(b.length, 0);
  b.writeInt32BE(196608, 4);
  params.copy(b, 8);
  return b;
}

function openAll(o, report) {
  const started = Date.now();
  const msg = startupMessage(o.user || 'postgres', o.database || 'test');
  const stats = { connected: 0, ready: 0, failed: 0, errors: {} };
  let launched = 0;
  let inFlight = 0;
  let settled = 0;
  const concurrency = o.concurrency || 200;
  return new Promise((resolve) => {
    const finishOne = () => {
      inFlight--;
      settled++;
      if (settled % 1000 === 0) report({ t: 'progress', settled, ...stats, ms: Date.now() - started });
      if (settled === o.count) resolve({ ...stats, ms: Date.now() - started });
      else launch();
    };
    const launch = () => {
      while (inFlight < concurrency && launched < o.count) {
        launched++;
        inFlight++;
        one();
      }
    };
    const one = () => {
      const s = net.connect({ host: o.host || '127.0.0.1', port: o.port });
      sockets.push(s);
      let done = false;
      let buf = Buffer.alloc(0);
      const settle = (ok, why) => {
        if (done) return;
        done = true;
        if (!ok) {
          stats.failed++;
          stats.errors[why] = (stats.errors[why] || 0) + 1;
        }
        finishOne();
      };
      s.setNoDelay(true);
      s.on('error', (e) => settle(false, e.code || e.message));
      s.on('close', () => settle(false, 'closed by server'));
      s.on('close', () => {
        if (s.wasOpen) openNow--;
      });
      s.on('connect', () => {
        s.wasOpen = true;
        openNow++;
        stats.connected++;
        s.write(msg, () => {
          if (o.wait === 'sent') settle(true);
        });
      });
      s.on('data', (d) => {
        if (done) return;
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        while (buf.length >= 5) {
          const type = String.fromCharCode(buf[0]);
          const len = buf.readInt32BE(1);
          if (buf.length < 1 + len) break;
          const body = buf.subarray(5, 1 + len);
          buf = buf.subarray(1 + len);
          if (type === 'E') {
            const m = /M([^\0]*)/.exec(body.toString('latin1'));
            return settle(false, m ? m[1] : 'ErrorResponse');
          }
          if (type === 'R' && body.readInt32BE(0) !== 0) return settle(false, 'password requested');
          if (type === 'Z') {
            stats.ready++;
            buf = Buffer.alloc(0);
            return settle(true);
          }
        }
      });
    };
    if (o.count === 0) resolve({ ...stats, ms: 0 });
    else launch();
  });
}

function closeAll() {
  for (const s of sockets.splice(0)) s.destroy();
}

if (require.main === module && !process.send) {
  const [port, count, wait] = process.argv.slice(2);
  openAll({ port: Number(port), count: Number(count), wait: wait || 'ready' }, (m) => console.log(JSON.stringify(m))).then((r) => {
    console.log(JSON.stringify(r));
    console.log('holding; Ctrl-C to close');
  });
} else if (process.send) {
  process.on('message', async (m) => {
    if (m.t === 'open') {
      const r = await openAll(m, (p) => process.send(p));
      process.send({ t: 'opened', ...r });
    } else if (m.t === 'status') {
      process.send({ t: 'status', open: openNow });
    } else if (m.t === 'close') {
      closeAll();
      process.send({ t: 'closed' });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
