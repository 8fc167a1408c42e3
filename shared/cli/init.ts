/**
 * `watchpost init [DIR] [--url URL] [--project NAME]`: a monitoring project in DIR (default: here).
 * Never overwrites: a file that exists is skipped, except package.json and .gitignore, which only
 * gain what they lack (dependencies, scripts, lines). Says what it made, added and skipped.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { watchpostPackage } from '../package-root';
import { CliError, EXIT, parseFlags } from './args';
import { c } from './format';
import { CDK_JSON, configFile, GITIGNORE_LINES, readme, TSCONFIG_JSON, type InitOptions } from './init-templates';

const PROJECT_RE = /^[a-z][a-z0-9-]{0,30}$/;

/** A project name from a folder name: lower-case, dashes, at most 31 characters. */
export function projectFromDir(dir: string): string {
  const slug = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 31)
    .replace(/-+$/, '');
  return slug || 'monitoring';
}

/** What package.json needs: watchpost and the CDK at the versions this watchpost was built and tested with. */
export function projectDependencies(): {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
} {
  const pkg = watchpostPackage();
  const pin = (name: string) => {
    const v = pkg.devDependencies[name] ?? pkg.peerDependencies[name];
    if (!v) throw new Error(`watchpost's package.json lists no version of ${name}`);
    return v;
  };
  return {
    dependencies: { watchpost: `^${pkg.version}` },
    devDependencies: { 'aws-cdk': pin('aws-cdk'), 'aws-cdk-lib': pin('aws-cdk-lib'), constructs: pin('constructs') },
  };
}

const SCRIPTS: Record<string, string> = {
  validate: 'watchpost validate',
  check: 'watchpost run',
  start: 'watchpost dev',
  synth: 'cdk synth',
  deploy: 'cdk deploy --all',
};

type Outcome = 'created' | 'updated' | 'skipped';

/** Adds what package.json lacks; never changes a value that is there. */
function mergePackageJson(path: string, project: string): { outcome: Outcome; note: string } {
  const deps = projectDependencies();
  if (!existsSync(path)) {
    const pkg = { name: project, private: true, type: 'module', scripts: SCRIPTS, ...deps };
    writeFileSync(path, `${JSON.stringify(pkg, null, 2)}\n`);
    return { outcome: 'created', note: '' };
  }
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliError(`${path} is not valid JSON (${(e as Error).message}) — fix it, then run init again`);
  }
  if (!pkg || typeof pkg !== 'object' || Array.isArray(pkg)) throw new CliError(`${path} does not hold a JSON object`);
  const added: string[] = [];
  const merge = (field: string, wanted: Record<string, string>, others: string[] = []) => {
    const have = (pkg[field] ?? {}) as Record<string, string>;
    for (const [name, value] of Object.entries(wanted)) {
      // A package listed in any dependency field already (e.g. `npm install ./watchpost.tgz`) stays as it is.
      if (name in have || others.some((f) => name in ((pkg[f] ?? {}) as object))) continue;
      have[name] = value;
      added.push(field === 'scripts' ? `script ${name}` : name);
    }
    pkg[field] = have;
  };
  merge('dependencies', deps.dependencies, ['devDependencies']);
  merge('devDependencies', deps.devDependencies, ['dependencies']);
  merge('scripts', SCRIPTS);
  if (!added.length) return { outcome: 'skipped', note: 'has everything' };
  writeFileSync(path, `${JSON.stringify(pkg, null, 2)}\n`);
  return { outcome: 'updated', note: `added ${added.join(', ')}` };
}

function mergeGitignore(path: string): { outcome: Outcome; note: string } {
  if (!existsSync(path)) {
    writeFileSync(path, `${GITIGNORE_LINES.join('\n')}\n`);
    return { outcome: 'created', note: '' };
  }
  const text = readFileSync(path, 'utf8');
  const have = new Set(text.split(/\r?\n/).map((l) => l.trim().replace(/^\//, '')));
  const missing = GITIGNORE_LINES.filter((l) => !have.has(l) && !have.has(l.replace(/\/$/, '')));
  if (!missing.length) return { outcome: 'skipped', note: 'has everything' };
  writeFileSync(path, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${missing.join('\n')}\n`);
  return { outcome: 'updated', note: `added ${missing.join(' ')}` };
}

function checkUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CliError(`--url ${JSON.stringify(url)} is not a URL — hint: e.g. --url https://shop.example.com/health`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new CliError(`--url ${JSON.stringify(url)}: watchpost init makes an http check, so http:// or https://`);
  return url;
}

export async function initCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('init', {
    args,
    allowPositionals: true,
    options: { url: { type: 'string' }, project: { type: 'string' } },
  });
  if (positionals.length > 1)
    throw new CliError(`\`watchpost init\` takes one folder, got ${positionals.length}: ${positionals.join(' ')}`);
  const dir = resolve(positionals[0] ?? '.');
  const project = values.project ?? projectFromDir(dir);
  if (!PROJECT_RE.test(project))
    throw new CliError(
      `--project ${JSON.stringify(project)}: expected lower-case letters, digits and dashes, ` +
        'starting with a letter, at most 31',
    );
  const opts: InitOptions = { project, url: values.url === undefined ? undefined : checkUrl(values.url) };
  if (existsSync(dir) && !existsSync(join(dir, '.'))) throw new CliError(`${dir} exists and is not a folder`);
  mkdirSync(dir, { recursive: true });

  const write = (name: string, text: string): { outcome: Outcome; note: string } => {
    const path = join(dir, name);
    if (existsSync(path)) return { outcome: 'skipped', note: 'exists, left as it is' };
    writeFileSync(path, text);
    return { outcome: 'created', note: '' };
  };
  const steps: [string, () => { outcome: Outcome; note: string }][] = [
    ['package.json', () => mergePackageJson(join(dir, 'package.json'), project)],
    ['watchpost.config.ts', () => write('watchpost.config.ts', configFile(opts))],
    ['cdk.json', () => write('cdk.json', CDK_JSON)],
    ['tsconfig.json', () => write('tsconfig.json', TSCONFIG_JSON)],
    ['.gitignore', () => mergeGitignore(join(dir, '.gitignore'))],
    ['README.md', () => write('README.md', readme(opts))],
  ];
  const where = relative(process.cwd(), dir) || '.';
  process.stdout.write(`watchpost init: project ${JSON.stringify(project)} in ${where}\n`);
  const mark = { created: c.green('created'), updated: c.green('updated'), skipped: c.dim('skipped') };
  for (const [name, run] of steps) {
    const { outcome, note } = run();
    process.stdout.write(`  ${mark[outcome]} ${name}${note ? ` (${note})` : ''}\n`);
  }
  if (!opts.url)
    process.stdout.write(
      `  ${c.dim('note')}: the check in watchpost.config.ts is an example — point it at your service\n`,
    );
  const cd = where === '.' ? '' : `cd ${where} && `;
  process.stdout.write(
    `\nNext:\n  ${cd}npm install\n  npx watchpost run          run every check once, here\n` +
      '  npx cdk deploy --all       deploy it into your AWS account (see README.md)\n',
  );
  return EXIT.ok;
}
