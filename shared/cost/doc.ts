/**
 * The deploy guide's cost section, generated from the cost model (`npm run docs:cost` writes it
 * between the markers in docs/deploy.md; a test checks the file equals this output).
 */
import type { ValidatedConfig } from '../config/types';
import { parseConfig } from '../config/validate';
import { ASSUMPTIONS, type CostItem, estimateCost } from './model';

export const DOC_MARKERS = { begin: '<!-- cost:begin (npm run docs:cost) -->', end: '<!-- cost:end -->' } as const;

/** The reference deployment: 10 HTTP checks every minute from 3 regions, DOWN and DEGRADED alarms. */
export function referenceConfig(): ValidatedConfig {
  return parseConfig({
    project: 'shop',
    homeRegion: 'us-east-1',
    regions: ['us-east-1', 'us-west-2', 'eu-west-1'],
    checks: Array.from({ length: 10 }, (_, i) => ({
      id: `check-${i + 1}`,
      kind: 'http',
      url: `https://shop${i + 1}.example.com/`,
      degradedAfter: '2s',
    })),
  });
}

const money = (n: number) => (n >= 0.01 || n === 0 ? n.toFixed(2) : n.toFixed(4));
const row = (i: CostItem) =>
  `| ${i.service} | ${i.item} | ${i.region} | ${Number(i.quantity.toPrecision(4))} ${i.unit} × ${i.unitUsd} | ` +
  `${money(i.monthlyUsd)} |`;

/** Monthly USD of one check-month at CloudWatch Synthetics, Datadog and Checkly list prices (the figures). */
const PEERS = [
  ['CloudWatch Synthetics', '129,600 canary runs × 0.0012', 155.52],
  ['Datadog Synthetics (API tests)', '129,600 runs × 5 / 10,000', 64.8],
  ['Checkly (API checks)', '129,600 runs × 2 / 10,000', 25.92],
] as const;

export function costSection(): string {
  const e = estimateCost(referenceConfig());
  const one = e.checks[0]!;
  const lines = [
    DOC_MARKERS.begin,
    `Computed by \`watchpost cost\` (shared/cost/) for 10 \`http\` checks every minute from us-east-1, us-west-2 and`,
    `eu-west-1, home us-east-1, each with DOWN and DEGRADED (\`degradedAfter\`) alarms; prices as of ${e.pricesAsOf}.`,
    '',
    `**Per check: USD ${one.monthlyUsd.toFixed(2)} a month** (${3 * ASSUMPTIONS.monthMinutes} runs):`,
    '',
    '| Service | What | Billed in | Quantity × USD | USD / month |',
    '|---|---|---|---|---|',
    ...one.items.map(row),
    '',
    `**Fixed: USD ${e.fixedMonthlyUsd.toFixed(2)} a month** for the deployment:`,
    '',
    '| Service | What | Billed in | Quantity × USD | USD / month |',
    '|---|---|---|---|---|',
    ...e.fixed.map(row),
    '',
    `**Total: USD ${e.totalMonthlyUsd.toFixed(2)} a month** for the 10 checks.`,
    '',
    'The same check at the peers (list prices, one check every minute from 3 locations):',
    '',
    '| Service | Formula | USD / month |',
    '|---|---|---|',
    ...PEERS.map(([name, formula, usd]) => `| ${name} | ${formula} | ${usd.toFixed(2)} |`),
    `| watchpost | per check above, plus the fixed part shared by all checks | ${one.monthlyUsd.toFixed(2)} |`,
    '',
    'Assumptions:',
    '',
    ...e.assumptions.map((a) => `- ${a}`),
    DOC_MARKERS.end,
  ];
  return lines.join('\n');
}

/** `text` with its cost section replaced by {@link costSection}; throws when the markers are missing. */
export function withCostSection(text: string): string {
  const a = text.indexOf(DOC_MARKERS.begin);
  const b = text.indexOf(DOC_MARKERS.end);
  if (a < 0 || b < a) throw new Error(`docs/deploy.md: markers ${DOC_MARKERS.begin} … ${DOC_MARKERS.end} not found`);
  return text.slice(0, a) + costSection() + text.slice(b + DOC_MARKERS.end.length);
}
