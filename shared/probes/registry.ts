/**
 * The one registry of probe kinds: kind name → implementation. Config validation, the runner,
 * the CLI and the CDK app all read it. Adding a kind = one folder + one line here.
 */
import type { ValidatedCheck } from '../config/types';
import type { ProbeKind } from './types';
import { httpKind } from './http';
import { emailKind } from './email';
import { tcpKind } from './tcp';
import { dnsKind } from './dns';
import { tlsKind } from './tls';
import { multistepKind } from './multistep';
import { heartbeatKind } from './heartbeat';
import { queueKind } from './queue';
import { metricKind } from './metric';
import { consistencyKind } from './consistency';
import { logsKind } from './logs';
import { browserKind } from './browser';

const KINDS: readonly ProbeKind[] = [
  httpKind,
  emailKind,
  tcpKind,
  dnsKind,
  tlsKind,
  multistepKind,
  heartbeatKind,
  queueKind,
  metricKind,
  consistencyKind,
  logsKind,
  browserKind,
];

export const registry: ReadonlyMap<string, ProbeKind> = new Map(KINDS.map((k) => [k.kind, k]));

/** The implementation of a kind; throws for an unknown kind (validation rejects those first). */
export function probeKind(kind: string): ProbeKind {
  const k = registry.get(kind);
  if (!k) throw new Error(`unknown probe kind "${kind}" (known: ${[...registry.keys()].join(', ')})`);
  return k;
}

/**
 * The kind of a validated check (undefined for a kind the map lacks). The one place a check of
 * any kind meets its implementation: the kind is found by the check's own `kind`, so the pair
 * is right by construction and callers need no cast.
 */
export function kindOf(check: ValidatedCheck, kinds: ReadonlyMap<string, ProbeKind> = registry): ProbeKind | undefined {
  return kinds.get(check.kind);
}
