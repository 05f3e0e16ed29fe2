// Starts a primary + 2 standbys (testkit) and pgrelay on port 9999, prints how to connect,
// and stops everything on Ctrl-C.
const { startCluster, startPgrelay } = require('../packages/testkit/dist');

async function main() {
  const port = Number(process.env.PGRELAY_PORT || 9999);
  process.stdout.write('starting PostgreSQL 15: a primary and 2 streaming standbys...\n');
  const cluster = await startCluster({ standbys: 2, name: 'demo' });
  const relay = await startPgrelay({ cluster, conf: { port, num_workers: 1, log_connections: 'on' } });
  process.stdout.write(
    `\npgrelay is listening on 127.0.0.1:${relay.port} (nodes ${cluster.nodes.map((n) => n.port).join(', ')}).\n` +
      `Connect with:\n\n    psql -h 127.0.0.1 -p ${relay.port} -U postgres test\n\n` +
      `Its pgpool.conf: ${relay.confPath}\nPress Ctrl-C to stop.\n`,
  );
  const stop = async () => {
    await relay.stop('fast').catch(() => undefined);
    await cluster.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // testkit does not hold the event loop open for its children: this does, until Ctrl-C.
  setInterval(() => undefined, 1 << 30);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
