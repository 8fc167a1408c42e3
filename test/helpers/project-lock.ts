/**
 * A package-lock.json for a project that depends on a packed watchpost tarball, made from this
 * repository's own lock: the exact versions CI installed, so `npm ci --offline` takes every
 * package from the npm cache (which holds tarballs, not the registry's version lists).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  inBundle?: boolean;
  dev?: boolean;
  devOptional?: boolean;
  [k: string]: unknown;
}

/** Where Node would find `name` from the package at `from` (a lock key), per the lock's layout. */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const key = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[key]) return key;
    if (!base) return undefined;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
}

/** The lock key's package name: `node_modules/a/node_modules/@s/b` → `@s/b`. */
const nameOf = (key: string) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);

/**
 * `registry`: `npm config get registry`. Each entry gets its tarball's address there: without it
 * npm asks for the package's version list first, which an offline cache may not hold.
 */
export function projectLock(
  repo: string,
  registry: string,
  pkg: { name: string; dependencies: Record<string, string>; devDependencies: Record<string, string> },
  tarball: { spec: string; version: string },
): object {
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const repoPkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  const src = lock.packages;
  const out: Record<string, LockEntry> = {
    '': { name: pkg.name, dependencies: pkg.dependencies, devDependencies: pkg.devDependencies },
    'node_modules/watchpost': {
      version: tarball.version,
      resolved: tarball.spec,
      dependencies: repoPkg.dependencies,
      peerDependencies: repoPkg.peerDependencies,
      bin: repoPkg.bin,
      engines: repoPkg.engines,
    },
  };
  const roots = [...Object.keys(repoPkg.dependencies), ...Object.keys(pkg.devDependencies)];
  const queue = roots.map((n) => locate(src, '', n)).filter((k): k is string => !!k);
  const seen = new Set<string>();
  while (queue.length) {
    const key = queue.shift()!;
    if (seen.has(key)) continue;
    seen.add(key);
    const { dev: _dev, devOptional: _devOptional, ...entry } = src[key]!;
    const name = (entry.name as string | undefined) ?? nameOf(key);
    const base = registry.replace(/\/?$/, '/');
    out[key] = {
      ...entry,
      resolved: entry.resolved ?? `${base}${name}/-/${name.split('/').pop()}-${entry.version}.tgz`,
    };
    const optionalPeers = Object.entries(entry.peerDependenciesMeta ?? {}).filter(([, m]) => m.optional);
    const names = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}).filter((n) => !optionalPeers.some(([o]) => o === n)),
    ];
    for (const n of names) {
      const at = locate(src, key, n);
      if (at) queue.push(at);
    }
  }
  return { name: pkg.name, lockfileVersion: 3, requires: true, packages: out };
}
