/**
 * Where watchpost's own package lives: the repository root when running from the sources, or
 * `node_modules/watchpost` when installed (the compiled code sits one level deeper, in `dist/`).
 * Found by walking up to the package.json named "watchpost", so it does not depend on the depth
 * of the calling module.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  root: string;
  version: string;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
}

let cached: PackageInfo | undefined;

export function watchpostPackage(): PackageInfo {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as Partial<PackageInfo> & { name?: string };
      if (pkg.name === 'watchpost') {
        cached = {
          root: dir,
          version: pkg.version ?? '0.0.0',
          devDependencies: pkg.devDependencies ?? {},
          peerDependencies: pkg.peerDependencies ?? {},
        };
        return cached;
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`watchpost's package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** Whether this code runs from the TypeScript sources (a checkout) rather than the compiled package. */
export const FROM_SOURCES = import.meta.url.endsWith('.ts');
