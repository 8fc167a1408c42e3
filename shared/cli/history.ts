/** `watchpost history ID`: the stored runs of a check, newest first. */
import { formatDuration } from '../duration';
import { c, resultNote, statusWord, table } from './format';
import { DEFAULT_DATA_DIR, openLocalStore } from './local';
import { parseFlags } from './args';
import { CliError, EXIT } from './main';

export async function historyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('history', {
    args,
    allowPositionals: true,
    options: {
      limit: { type: 'string', default: '20' },
      region: { type: 'string' },
      json: { type: 'boolean', default: false },
      data: { type: 'string', default: DEFAULT_DATA_DIR },
    },
  });
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new CliError('usage: watchpost history ID [--limit N] [--region R] [--json]');
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new CliError(`--limit must be a positive integer, got "${values.limit}"`);
  const local = await openLocalStore(values.data);
  try {
    const runs = await local.store.history(id, { limit, region: values.region });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      return EXIT.ok;
    }
    if (!runs.length) {
      process.stdout.write(`no stored runs of "${id}" in ${values.data} — run \`watchpost run --check ${id}\` or \`npm start\` first\n`);
      return EXIT.ok;
    }
    const rows = runs.map((r) => [r.scheduledAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), r.region, statusWord(r.status), formatDuration(r.durationMs), resultNote(r)]);
    process.stdout.write(`${table(['SCHEDULED', 'REGION', 'STATUS', 'TIME', 'DETAIL'], rows)}\n${c.dim(`${runs.length} run${runs.length === 1 ? '' : 's'} of ${id}`)}\n`);
    return EXIT.ok;
  } finally {
    await local.close();
  }
}
