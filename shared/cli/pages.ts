/**
 * `watchpost pages [--since 24h] [--check ID] [--json] [--aws]`: the delivery trail, every page
 * sent or failed per channel (shared/notify/trail.ts), from the local store (what `watchpost dev`
 * paged) or, with `--aws`, from the deployed table in the home region (AWS credentials needed).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClient } from '../aws-clients';
import { DEFAULT_CONFIG_FILE } from '../config/load';
import type { ValidatedConfig } from '../config/types';
import { parseDuration } from '../duration';
import { clock } from '../notify/format-sms';
import { DeliveryTrail, type TrailEntry } from '../notify/trail';
import { redactText } from '../secrets';
import { tableName } from '../store/table';
import { parseFlags } from './args';
import { c } from './format';
import { DEFAULT_DATA_DIR, openLocalStore } from './local';
import { CliError, EXIT, loadValidConfig } from './main';
import { awsProblem } from './notify';

/** The results table a command reads: the local store, or the deployed one in the home region. */
export interface TableTarget {
  client: DynamoDBClient;
  tableName: string;
  /** `local store .watchpost/` or `table shop-watchpost-results in eu-central-1`. */
  where: string;
  close(): Promise<void>;
}

export async function openTable(config: ValidatedConfig, aws: boolean, dataDir: string): Promise<TableTarget> {
  if (!aws) {
    const local = await openLocalStore(dataDir, config);
    return { client: local.client, tableName: local.tableName, where: `local store ${dataDir}/`, close: local.close };
  }
  const client = awsClient(DynamoDBClient, { region: config.homeRegion, maxAttempts: 3 });
  const name = tableName(config.project);
  return {
    client,
    tableName: name,
    where: `table ${name} in ${config.homeRegion}`,
    close: async () => client.destroy(),
  };
}

function row(e: TrailEntry, now: string): string {
  const state = e.ok ? c.green('sent  ') : e.retrying ? c.yellow('retry ') : c.red('FAILED');
  const line = `${clock(e.at, now).padStart(11)}  ${state}  ${e.channel.padEnd(24)} ${e.summary}`;
  return redactText(e.ok || !e.error ? line : `${line}\n${' '.repeat(21)}${c.dim(e.error)}`);
}

export async function pagesCommand(args: string[]): Promise<number> {
  const { values } = parseFlags('pages', {
    args,
    options: {
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      data: { type: 'string', default: DEFAULT_DATA_DIR },
      since: { type: 'string', default: '24h' },
      check: { type: 'string' },
      json: { type: 'boolean', default: false },
      aws: { type: 'boolean', default: false },
    },
  });
  const since = parseDuration(values.since!);
  if (since === undefined || since <= 0)
    throw new CliError(`--since "${values.since}" is not a duration — hint: e.g. 30m, 24h, 7d`);
  const config = await loadValidConfig(values.config!);
  if (values.check && !config.checks.some((ch) => ch.id === values.check) && values.check !== 'runner')
    throw new CliError(`--check "${values.check}" is not a check in ${values.config}`);
  const target = await openTable(config, values.aws!, values.data!);
  const now = new Date().toISOString();
  let entries: TrailEntry[];
  try {
    entries = await new DeliveryTrail(target.client, target.tableName).list({
      since: new Date(Date.now() - since).toISOString(),
    });
  } catch (e) {
    if (values.aws) throw awsProblem(e, `read the delivery trail from the ${target.where}`);
    throw e;
  } finally {
    await target.close();
  }
  if (values.check) entries = entries.filter((e) => e.subject === values.check);
  if (values.json) {
    process.stdout.write(`${redactText(JSON.stringify(entries, null, 2))}\n`);
    return EXIT.ok;
  }
  const out = (s: string) => process.stdout.write(`${s}\n`);
  if (!entries.length) {
    out(`no pages in the last ${values.since} (${target.where})`);
    return EXIT.ok;
  }
  const failed = entries.filter((e) => !e.ok && !e.retrying).length;
  out(
    c.bold(
      `${entries.length} page deliveries in the last ${values.since}` +
        `${failed ? `, ${failed} failed` : ''} (${target.where})`,
    ),
  );
  for (const e of entries) out(row(e, now));
  return EXIT.ok;
}
