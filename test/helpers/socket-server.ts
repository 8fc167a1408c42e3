/**
 * A TCP or TLS server on 127.0.0.1, port 0, that hands each connection to a handler: targets for
 * the kinds that speak below HTTP (tcp, tls, the shared net layer). With a TLS server the handler
 * gets the socket once the handshake is done. `close()` also ends open sockets (raw ones too, so a
 * handshake a test left hanging does not hold the server open).
 *
 * @example
 * const s = await listenSockets(net.createServer(), (socket) => socket.end('220 ready\r\n'));
 * cleanups.push(s.close);
 */
import net from 'node:net';
import tls from 'node:tls';

export interface SocketServer {
  port: number;
  close(): Promise<void>;
}

export async function listenSockets(
  server: net.Server = net.createServer(),
  onSocket: (socket: net.Socket) => void = () => {},
): Promise<SocketServer> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    // A probe that resets or gives up is what these tests are about: not an error of the server.
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  };
  const isTls = server instanceof tls.Server;
  server.on('connection', (s: net.Socket) => {
    track(s);
    if (!isTls) onSocket(s);
  });
  if (isTls) {
    server.on('secureConnection', (s: tls.TLSSocket) => {
      track(s);
      onSocket(s);
    });
    server.on('tlsClientError', () => {});
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
