/** `watchpost run`: every check (or the chosen ones) once, a table or JSON, exit 1 on any failure. */
import { DEFAULT_CONFIG_FILE } from '../config/load';
import { startDemoForConfig } from '../demo/target';
import { jsonLog } from '../log';
import { runPass } from '../runner/run-pass';
import { envSecrets } from '../secrets';
import type { CheckResult } from '../types';
import { storeWithRollups } from '../rollups/store';
import { c, noteContext, print, RESULT_HEADER, resultRow, table } from './format';
import { DEFAULT_DATA_DIR, LOCAL_REGION, openLocalStore } from './local';
import { parseFlags } from './args';
import { CliError, EXIT, loadValidConfig } from './main';

export async function runCommand(args: string[]): Promise<number> {
  const { values } = parseFlags('run', {
    args,
    options: {
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      check: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      'no-store': { type: 'boolean', default: false },
      data: { type: 'string', default: DEFAULT_DATA_DIR },
      concurrency: { type: 'string', default: '16' },
      demo: { type: 'boolean', default: false },
    },
  });
  const demo = values.demo ? await startDemoForConfig() : undefined;
  try {
    return await runChecks(values);
  } finally {
    await demo?.close();
  }
}

async function runChecks(values: {
  config?: string;
  check?: string[];
  json?: boolean;
  'no-store'?: boolean;
  data?: string;
  concurrency?: string;
}): Promise<number> {
  const config = await loadValidConfig(values.config!);
  const wanted = values.check ?? [];
  const unknown = wanted.filter((id) => !config.checks.some((ch) => ch.id === id));
  if (unknown.length)
    throw new CliError(
      `no check with id ${unknown.map((u) => `"${u}"`).join(', ')} in ${values.config} — known: ${config.checks.map((ch) => ch.id).join(', ')}`,
    );
  // Named checks run even when disabled: the user asked for them.
  const checks = wanted.length
    ? config.checks.filter((ch) => wanted.includes(ch.id))
    : config.checks.filter((ch) => ch.enabled);
  if (!checks.length) throw new CliError(`no enabled checks in ${values.config}`, EXIT.ok);

  const local = values['no-store'] ? undefined : await openLocalStore(values.data, config);
  // While dev runs, its store takes these results too: they show in its dashboard and in `history`.
  if (local?.sharedWithDev && !values.json)
    process.stderr.write(
      `${c.dim(`storing into the store of the running watchpost dev (pid ${local.sharedWithDev})`)}\n`,
    );
  const now = Date.now();
  const live = !values.json && process.stdout.isTTY;
  let done = 0;
  try {
    const report = await runPass({
      config,
      region: LOCAL_REGION,
      tick: now,
      deadline: Number.POSITIVE_INFINITY,
      concurrency: Number(values.concurrency) || 16,
      runs: checks.map((check) => ({ check, scheduledAt: now })),
      waitForSchedule: false,
      secrets: envSecrets,
      store: local && storeWithRollups(local),
      table: local && { client: local.client, tableName: local.tableName },
      log: jsonLog({ command: 'run' }, 'warn'),
      onResult: live ? () => process.stderr.write(`\r${c.dim(`running ${++done}/${checks.length}…`)}`) : undefined,
    });
    if (live) process.stderr.write('\r\x1b[K');
    // Config order, not finishing order: stable output for people and scripts.
    const order = new Map(checks.map((ch, i) => [ch.id, i]));
    const results = [...report.results].sort((a, b) => order.get(a.checkId)! - order.get(b.checkId)!);
    if (values.json) print({ json: results });
    else
      print(
        `${table(
          RESULT_HEADER,
          results.map((r) => resultRow(r, noteContext(checks.find((ch) => ch.id === r.checkId)))),
        )}\n\n${summary(results)}\n`,
      );
    return results.some((r) => r.status === 'fail') ? EXIT.failed : EXIT.ok;
  } finally {
    await local?.close();
  }
}

export function summary(results: CheckResult[]): string {
  const n = (s: string) => results.filter((r) => r.status === s).length;
  const parts = [c.green(`${n('pass')} passed`)];
  if (n('degraded')) parts.push(c.yellow(`${n('degraded')} degraded`));
  parts.push(n('fail') ? c.red(`${n('fail')} failed`) : `0 failed`);
  return parts.join(', ');
}
