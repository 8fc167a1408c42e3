/**
 * `watchpost ack <check> [--until 2h] [--by NAME] [--local]`: "I am on it". Stops reminders and
 * escalation of the check's open pages until it recovers (or for `--until`), and marks the status
 * page's incident "investigating". Writes the deployed table in the home region (AWS credentials
 * needed), or with `--local` the local store a running `watchpost dev` pages from.
 */
import { userInfo } from 'node:os';
import { DEFAULT_CONFIG_FILE } from '../config/load';
import { closest } from '../config/schema';
import { silentLog } from '../log';
import { ackUntil } from '../notify/ack';
import { incidentRecorder } from '../notify/incidents';
import { AckError, acknowledge } from '../notify/oncall';
import { PageStore } from '../notify/page-store';
import { parseFlags } from './args';
import { c } from './format';
import { DEFAULT_DATA_DIR } from './local';
import { CliError, EXIT, loadValidConfig } from './main';
import { awsProblem } from './notify';
import { openTable } from './pages';

function whoami(): string {
  try {
    return userInfo().username;
  } catch {
    return 'cli';
  }
}

export async function ackCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('ack', {
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      data: { type: 'string', default: DEFAULT_DATA_DIR },
      until: { type: 'string' },
      by: { type: 'string' },
      local: { type: 'boolean', default: false },
    },
  });
  const [checkId, ...extra] = positionals;
  if (!checkId || extra.length)
    throw new CliError('`watchpost ack` takes one check id — hint: watchpost ack shop-cart --until 2h');
  const config = await loadValidConfig(values.config!);
  const ids = config.checks.map((ch) => ch.id);
  if (!ids.includes(checkId) && checkId !== 'runner') {
    const near = closest(checkId, ids);
    throw new CliError(
      `"${checkId}" is not a check in ${values.config}${near ? ` — hint: did you mean "${near}"?` : ''}`,
    );
  }
  let until: number | undefined;
  try {
    until = ackUntil(values.until, Date.now());
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const by = (values.by ?? whoami()).slice(0, 60);
  const target = await openTable(config, !values.local, values.data!);
  try {
    const done = await acknowledge(
      {
        config,
        pages: new PageStore(target.client, target.tableName),
        latest: async () => [],
        incidents: incidentRecorder(target.client, target.tableName),
        now: Date.now,
        log: silentLog,
      },
      { checkId },
      by,
      until,
    );
    const end = until ? `until ${new Date(until).toISOString().slice(11, 16)}Z` : 'until it recovers';
    process.stdout.write(
      `${c.green('✓')} acknowledged ${done.map((r) => r.key).join(', ')} as ${by}, ${end} (${target.where}): no ` +
        `reminders or escalation meanwhile\n`,
    );
    return EXIT.ok;
  } catch (e) {
    if (e instanceof AckError)
      throw new CliError(`${e.message} in the ${target.where} — nothing to acknowledge`, EXIT.failed);
    if (!values.local) throw awsProblem(e, `acknowledge in the ${target.where}`);
    throw e;
  } finally {
    await target.close();
  }
}
