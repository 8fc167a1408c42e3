/** What `run`, `dev` and `history` share: the local store under `.watchpost/`. */
import { join } from 'node:path';
import { ms } from '../duration';
import type { ValidatedConfig } from '../config/types';
import { startEmbeddedStore } from '../store/embedded';

export const LOCAL_REGION = 'local';
export const DEFAULT_DATA_DIR = '.watchpost';

/** Opens the embedded store kept under `<dataDir>/db`. */
export function openLocalStore(dataDir = DEFAULT_DATA_DIR, config?: ValidatedConfig) {
  return startEmbeddedStore({
    dir: join(dataDir, 'db'),
    retentionMs: config ? ms(config.retention) : undefined,
    checkIds: config?.checks.map((ch) => ch.id),
  });
}
