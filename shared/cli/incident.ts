/**
 * `watchpost incident open|update|resolve|list`: the human side of incidents. What is written
 * here appears on the status page and in its feed as written (public text: say what customers
 * notice, not hosts or error codes); the notifier opens and resolves its own incidents.
 */
import { userInfo } from 'node:os';
import { DEFAULT_CONFIG_FILE } from '../config/load';
import { closest } from '../config/schema';
import type { ValidatedConfig } from '../config/types';
import { parseDuration } from '../duration';
import {
  INCIDENT_SEVERITIES,
  INCIDENT_STATUSES,
  IncidentNotFoundError,
  IncidentStore,
  type Incident,
  type IncidentStatus,
} from '../incidents/store';
import { CliError, EXIT, parseFlags } from './args';
import { c, print, table } from './format';
import { DEFAULT_DATA_DIR } from './local';
import { loadValidConfig } from './main';
import { openTableSource } from './table-source';

const ACTIONS = ['open', 'update', 'resolve', 'list'] as const;
const USAGE_LINE =
  'usage: watchpost incident open|update|resolve|list [--component NAME]... [--title T] [--message M] ' +
  '[--status S] [--severity S] [--id ID] [--aws]';

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const near = closest(value, allowed);
  throw new CliError(
    `${flag}: unknown value "${value}" — hint: ${near ? `did you mean "${near}"? ` : ''}one of ${allowed.join(', ')}`,
  );
}

function components(config: ValidatedConfig, names: readonly string[], file: string): string[] {
  const page = config.statusPage;
  if (!page)
    throw new CliError(
      `${file} has no statusPage — hint: add statusPage.components to say what customers see (docs/status-page.md)`,
    );
  const known = page.components.map((x) => x.name);
  if (!names.length)
    throw new CliError(`name the affected component(s) with --component — hint: components: ${known.join(', ')}`);
  for (const n of names)
    if (!known.includes(n)) {
      const near = closest(n, known);
      throw new CliError(
        `--component: no component "${n}" in statusPage — hint: ` +
          (near ? `did you mean "${near}"?` : `components: ${known.join(', ')}`),
      );
    }
  return [...new Set(names)];
}

function describeIncident(i: Incident): string {
  const last = i.updates.at(-1);
  return (
    `${c.bold(i.id)} ${i.title}\n` +
    `  ${i.severity} · ${i.endedAt ? c.green('resolved') : (last?.status ?? 'investigating')} · ` +
    `${i.components.join(', ') || c.dim('no component')} · since ${i.startedAt}` +
    `${i.endedAt ? ` until ${i.endedAt}` : ''}\n` +
    i.updates.map((u) => `  ${c.dim(u.at)} ${u.status}: ${u.message}`).join('\n')
  );
}

export async function incidentCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (!action || !(ACTIONS as readonly string[]).includes(action)) {
    const near = action && closest(action, ACTIONS);
    throw new CliError(
      action
        ? `unknown action "${action}"${near ? ` — hint: did you mean "${near}"?` : ''}\n${USAGE_LINE}`
        : USAGE_LINE,
    );
  }
  const { values } = parseFlags(`incident ${action}`, {
    args: rest,
    options: {
      component: { type: 'string', multiple: true },
      title: { type: 'string' },
      message: { type: 'string' },
      status: { type: 'string' },
      severity: { type: 'string' },
      id: { type: 'string' },
      by: { type: 'string' },
      since: { type: 'string', default: '90d' },
      json: { type: 'boolean', default: false },
      aws: { type: 'boolean', default: false },
      data: { type: 'string', default: DEFAULT_DATA_DIR },
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
    },
  });
  const status = oneOf('--status', values.status, INCIDENT_STATUSES);
  const severity = oneOf('--severity', values.severity, INCIDENT_SEVERITIES);
  const by = values.by ?? (process.env.USER || userInfo().username || 'cli');
  const needId = () => {
    if (!values.id)
      throw new CliError(
        `\`watchpost incident ${action}\` needs --id ID — hint: \`watchpost incident list\` shows them`,
      );
    return values.id;
  };
  const config = await loadValidConfig(values.config!);
  // Checked before the store opens: a mistake costs no AWS call.
  let opened: Parameters<IncidentStore['open']>[0] | undefined;
  if (action === 'open') {
    if (!values.title?.trim()) throw new CliError('`watchpost incident open` needs --title "what customers notice"');
    opened = {
      components: components(config, values.component ?? [], values.config!),
      severity: severity ?? 'notice',
      title: values.title.trim(),
      startedAt: new Date().toISOString(),
      source: 'manual',
      ...(values.id ? { id: values.id } : {}),
      ...(values.message ? { message: values.message } : {}),
    };
  }
  if (action === 'update' && !values.message?.trim())
    throw new CliError('`watchpost incident update` needs --message "what changed"');
  let sinceMs: number | undefined;
  if (action === 'list') {
    sinceMs = parseDuration(values.since!);
    if (sinceMs === undefined) throw new CliError(`--since: expected a duration such as "30d", got "${values.since}"`);
  }

  const source = await openTableSource({
    aws: values.aws!,
    dataDir: values.data!,
    config,
    doing: action === 'list' ? 'read incidents' : 'write the incident',
  });
  const store = new IncidentStore(source.client, source.tableName);
  const now = new Date().toISOString();
  const show = (i: Incident, verb: string) => {
    if (values.json) print({ json: i });
    else print(`${c.green('✓')} ${verb} in ${source.where}\n${describeIncident(i)}\n`);
  };
  try {
    switch (action) {
      case 'open': {
        const i = await store.open(opened!);
        // The status flag sets the first update's status when it is not the default.
        const shown =
          status && status !== 'investigating' && values.message
            ? await store.addUpdate(i.id, { at: now, status, message: values.message, by })
            : i;
        show(shown, 'opened');
        return EXIT.ok;
      }
      case 'update': {
        const id = needId();
        const current = await store.get(id);
        if (!current) throw new IncidentNotFoundError(id);
        const next: IncidentStatus = status ?? current.updates.at(-1)?.status ?? 'investigating';
        show(await store.addUpdate(id, { at: now, status: next, message: values.message!, by }), 'updated');
        return EXIT.ok;
      }
      case 'resolve':
        show(await store.resolve(needId(), now, values.message, by), 'resolved');
        return EXIT.ok;
      default: {
        const list = await store.list({ since: new Date(Date.now() - sinceMs!).toISOString() });
        const shown = values.component?.length
          ? list.filter((i) => i.components.some((n) => values.component!.includes(n)))
          : list;
        if (values.json) {
          print({ json: { incidents: shown } });
          return EXIT.ok;
        }
        if (!shown.length) {
          print(`no incidents in the last ${values.since} in ${source.where}\n`);
          return EXIT.ok;
        }
        const rows = shown.map((i) => [
          i.id,
          i.severity,
          i.endedAt ? 'resolved' : (i.updates.at(-1)?.status ?? 'investigating'),
          i.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
          i.endedAt ? i.endedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : c.red('open'),
          i.components.join(', ') || (i.checkId ? c.dim(`check ${i.checkId}`) : ''),
          i.title,
        ]);
        print(`${table(['ID', 'SEVERITY', 'STATUS', 'STARTED', 'ENDED', 'COMPONENTS', 'TITLE'], rows)}\n`);
        return EXIT.ok;
      }
    }
  } catch (e) {
    if (e instanceof IncidentNotFoundError)
      throw new CliError(`${e.message} in ${source.where} — hint: \`watchpost incident list\` shows the ids`);
    throw e;
  } finally {
    await source.close();
  }
}
