/**
 * `npm run bench`: watchpost's figures beside baselines measured in the same run and the
 * targets. Figures, not assertions: it exits 0 unless a benchmark itself breaks.
 * `npm run bench -- http pass` runs only some groups.
 */
import { cpus, loadavg } from 'node:os';
import type { Figure } from './lib';

const groups: Record<string, () => Promise<Figure[]>> = {
  http: async () => (await import('./http')).benchHttp(),
  pass: async () => (await import('./pass')).benchPass(),
  bundle: async () => (await import('./bundle')).benchBundle(),
  email: async () => (await import('./email')).benchEmail() as Promise<Figure[]>,
  browser: async () => (await import('./browser')).benchBrowser(),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : Object.keys(groups);
const unknown = names.filter((n) => !groups[n]);
if (unknown.length) {
  console.error(
    `unknown bench group ${unknown.map((u) => `"${u}"`).join(', ')} (known: ${Object.keys(groups).join(', ')})`,
  );
  process.exit(2);
}
const load = loadavg()[0]!;
const rows: Figure[] = [];
for (const name of names) {
  process.stderr.write(`running ${name}…\n`);
  try {
    rows.push(...(await groups[name]!()));
  } catch (e) {
    rows.push({ name: `${name}: could not run`, value: (e as Error).message.split('\n')[0]!, ok: false });
  }
}

const cols = ['', 'figure', 'watchpost', 'baseline (same run)', 'target'];
const table = rows.map((r) => [
  r.ok === undefined ? ' ' : r.ok ? '✓' : '✗',
  r.name,
  r.value,
  r.baseline ?? '',
  r.target ?? '',
]);
const widths = cols.map((c, i) => Math.max(c.length, ...table.map((t) => t[i]!.length)));
const line = (cells: string[]) =>
  cells
    .map((c, i) => c.padEnd(widths[i]!))
    .join('  ')
    .trimEnd();
console.log(
  `\nwatchpost bench — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} cores, load ` +
    `average ${load.toFixed(2)} at start\n`,
);
if (load > cpus().length * 0.5)
  console.log(
    `note: the machine was busy when the bench started (load ${load.toFixed(2)}): rates and times are pessimistic\n`,
  );
console.log(line(cols));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const t of table) console.log(line(t));
