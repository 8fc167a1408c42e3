/** `watchpost history ID`: the stored runs of a check, newest first. */
import { DEFAULT_CONFIG_FILE, importConfig } from '../config/load';
import { closest } from '../config/schema';
import { formatDuration } from '../duration';
import { c, print, resultNote, statusWord, table } from './format';
import { DEFAULT_DATA_DIR, openLocalStore } from './local';
import { parseFlags } from './args';
import { CliError, EXIT } from './main';

/** No stored runs: fine for a check of the config that has not run yet, a mistake for any other id. */
async function mustBeKnown(id: string, configFile: string, dataDir: string): Promise<void> {
  // The raw config is enough (history must work while the config has problems).
  const raw = (await importConfig(configFile).catch(() => undefined)) as
    | { checks?: Array<{ id?: unknown }> }
    | undefined;
  const ids = Array.isArray(raw?.checks)
    ? raw.checks.map((ch) => ch?.id).filter((x): x is string => typeof x === 'string')
    : undefined;
  if (ids?.includes(id)) return;
  const near = ids && closest(id, ids);
  const hint = near
    ? `did you mean "${near}"?`
    : ids?.length
      ? `checks in ${configFile}: ${ids.join(', ')}`
      : `no config read from ${configFile}`;
  throw new CliError(
    `no check "${id}": no stored runs in ${dataDir} and none of that id in the config — hint: ${hint}`,
  );
}

export async function historyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('history', {
    args,
    allowPositionals: true,
    options: {
      limit: { type: 'string', default: '20' },
      region: { type: 'string' },
      json: { type: 'boolean', default: false },
      data: { type: 'string', default: DEFAULT_DATA_DIR },
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
    },
  });
  const id = positionals[0];
  if (!id || positionals.length > 1)
    throw new CliError('usage: watchpost history ID [--limit N] [--region R] [--json] [--config F]');
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new CliError(`--limit must be a positive integer, got "${values.limit}"`);
  const local = await openLocalStore(values.data);
  try {
    const runs = await local.store.history(id, { limit, region: values.region });
    if (!runs.length) await mustBeKnown(id, values.config!, values.data!);
    if (values.json) {
      print({ json: runs });
      return EXIT.ok;
    }
    if (!runs.length) {
      process.stdout.write(
        `no stored runs of "${id}" in ${values.data} — run \`watchpost run --check ${id}\` or \`npm start\` first\n`,
      );
      return EXIT.ok;
    }
    const rows = runs.map((r) => [
      r.scheduledAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      r.region,
      statusWord(r.status, r.degraded),
      formatDuration(r.durationMs),
      resultNote(r),
    ]);
    print(
      `${table(['SCHEDULED', 'REGION', 'STATUS', 'TIME', 'DETAIL'], rows)}\n` +
        `${c.dim(`${runs.length} run${runs.length === 1 ? '' : 's'} of ${id}`)}\n`,
    );
    return EXIT.ok;
  } finally {
    await local.close();
  }
}
