/**
 * `watchpost status build [--config F] [--data DIR] --out DIR [--url URL]`: the public status
 * page as static files from the local store (the same builder the AWS one runs), for a look
 * before deploying or for hosting it elsewhere. Writes only files that changed.
 */
import { resolve } from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../config/load';
import { buildSiteFiles } from '../status/site/build';
import { writeSiteToDir } from '../status/site/write';
import { c } from './format';
import { DEFAULT_DATA_DIR, openLocalStore } from './local';
import { commandNow, parseFlags } from './args';
import { CliError, EXIT, loadValidConfig } from './main';

const USAGE = 'usage: watchpost status build [--config F] [--data DIR] --out DIR [--url URL]';

export async function statusCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'build')
    throw new CliError(
      sub === undefined ? USAGE : `unknown \`watchpost status\` subcommand "${sub}" — hint: ${USAGE.slice(7)}`,
    );
  const { values } = parseFlags('status build', {
    args: rest,
    options: {
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      data: { type: 'string', default: DEFAULT_DATA_DIR },
      out: { type: 'string' },
      url: { type: 'string' },
    },
  });
  if (!values.out) throw new CliError(`--out DIR is required: the folder the site is written to — ${USAGE}`);
  if (values.url !== undefined && !/^https?:\/\/[^\s/]+/.test(values.url))
    throw new CliError(
      `--url must be the page's public address, e.g. https://status.example.com/, got "${values.url}"`,
    );
  // Builds as of another instant (reproducible builds, tests), as `watchpost report` does.
  const now = commandNow();
  const config = await loadValidConfig(values.config!);
  if (!config.statusPage)
    throw new CliError(
      `${values.config} has no statusPage — hint: add ` +
        'statusPage: { title, components: [{ name, checks: [ids] }] } (docs/status-page.md)',
    );
  const local = await openLocalStore(values.data, config);
  try {
    const { model, files } = await buildSiteFiles({
      config,
      client: local.client,
      tableName: local.tableName,
      siteUrl: values.url,
      now,
    });
    const summary = await writeSiteToDir(values.out, files);
    const out = (s: string) => process.stdout.write(`${s}\n`);
    const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
    const removed = summary.removed.length ? `, ${summary.removed.length} removed` : '';
    out(
      `${c.green('✓')} status page: ${n(summary.written.length, 'file')} written, ` +
        `${summary.unchanged} unchanged${removed} in ${values.out}/`,
    );
    const as = model.dataAsOf ? `data as of ${model.dataAsOf}` : 'no monitoring data yet';
    const stale = model.stale ? ' (stale: run `watchpost dev` or `watchpost run` to record results)' : '';
    out(c.dim(`${n(model.components.length, 'component')}, overall ${model.overall}, ${as}${stale}`));
    out(c.dim(`open ${resolve(values.out, 'index.html')}`));
    return EXIT.ok;
  } finally {
    await local.close();
  }
}
