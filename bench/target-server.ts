// The bench target: a small JSON answer after an optional delay. Runs in its own process.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const delay = Number(process.argv[2] ?? 0);
const body = JSON.stringify({ status: 'ok', items: [1, 2, 3] });
const server = createServer((_req, res) => {
  const received = performance.now();
  const answer = () => {
    // The delay as it really was (timers fire late): the bench compares probe timings with it.
    const held = (performance.now() - received).toFixed(3);
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-server-delay-ms': held,
    });
    res.end(body);
  };
  if (delay > 0) setTimeout(answer, delay);
  else answer();
});
server.keepAliveTimeout = 500;
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('SIGTERM', () => process.exit(0));
