import type { WatchpostConfig } from './types';

/**
 * Declares a watchpost config. It only adds types (and editor help); validation happens when
 * the config is loaded by the CLI, the runner or the CDK app.
 * @example
 * export default defineConfig({
 *   project: 'shop',
 *   homeRegion: 'eu-central-1',
 *   regions: ['eu-central-1', 'us-east-1'],
 *   checks: [{ id: 'home', kind: 'http', url: 'https://shop.example.com/', assertions: [status.equals(200)] }],
 * });
 */
export function defineConfig(config: WatchpostConfig): WatchpostConfig {
  return config;
}
