import { isIP, isIPv4, isIPv6 } from 'node:net';

/** Parses `ip`, `ip:port`, `[ipv6]:port` or a bare IPv6 address; undefined when it is none of them. */
export function parseServer(text: string): { host: string; port: number } | undefined {
  let host: string;
  let port = 53;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
    if (!isIPv6(host)) return undefined;
  } else if (isIP(text)) {
    host = text;
  } else {
    const m = /^([^:]+):(\d+)$/.exec(text);
    if (!m || !isIPv4(m[1]!)) return undefined;
    host = m[1]!;
    port = Number(m[2]);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  return { host, port };
}
