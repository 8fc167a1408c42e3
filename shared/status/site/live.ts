/**
 * The status page as `watchpost dev` serves it at /status: rebuilt from the embedded store when a
 * result has arrived since the last build (and at least every minute, for the stale notice and
 * the clock), never more than once at a time; a failed build keeps serving the last good one.
 */
import type { SiteFile } from './types';

export interface LiveSite {
  /** The current files by path (`index.html`, `assets/…`), building first when due. */
  files(): Promise<Map<string, SiteFile>>;
  /** New results: the next request rebuilds. */
  invalidate(): void;
}

export function liveSite(
  build: () => Promise<SiteFile[]>,
  opts: { maxAgeMs?: number; now?: () => number } = {},
): LiveSite {
  const maxAge = opts.maxAgeMs ?? 60_000;
  const now = opts.now ?? Date.now;
  let current: Map<string, SiteFile> | undefined;
  let builtAt = 0;
  let dirty = true;
  let building: Promise<Map<string, SiteFile>> | undefined;
  const rebuild = () => {
    dirty = false;
    building ??= build()
      .then((files) => {
        current = new Map(files.map((f) => [f.path, f]));
        builtAt = now();
        return current;
      })
      .catch((e: unknown) => {
        dirty = true;
        if (current) return current;
        throw e;
      })
      .finally(() => {
        building = undefined;
      });
    return building;
  };
  return {
    files: () => (!current || dirty || now() - builtAt >= maxAge ? rebuild() : Promise.resolve(current)),
    invalidate: () => {
      dirty = true;
    },
  };
}
