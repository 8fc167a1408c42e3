/**
 * Loads and validates a config file in a process of its own and prints the outcome as one JSON
 * line: `{ config }`, `{ diagnostics, file }` or `{ loadError }`. The `watchpost/cdk` construct
 * runs it synchronously (a constructor cannot await a TypeScript import): the same loader and
 * validator as the CLI, so the same diagnostics.
 */
import { ConfigLoadError, importConfig } from '../shared/config/load';
import { validateConfig } from '../shared/config/validate';

const file = process.argv[2] ?? '';
try {
  const r = validateConfig(await importConfig(file), { file });
  process.stdout.write(`${JSON.stringify(r.ok ? { config: r.config } : { diagnostics: r.diagnostics, file })}\n`);
} catch (e) {
  if (!(e instanceof ConfigLoadError)) throw e;
  process.stdout.write(`${JSON.stringify({ loadError: e.message })}\n`);
}
