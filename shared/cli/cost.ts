/** `watchpost cost [--config F] [--json]`: the monthly AWS bill of the config, per check and fixed per service. */
import { DEFAULT_CONFIG_FILE, importConfig } from '../config/load';
import { parseConfig } from '../config/validate';
import { type CostEstimate, estimateCost } from '../cost/model';
import { PriceError } from '../cost/prices';
import { CliError, parseFlags } from './args';

const money = (n: number) => `$${n.toFixed(2)}`;
const fine = (n: number) => (n >= 0.01 || n === 0 ? money(n) : `$${n.toFixed(4)}`);

/** The estimate as text: one block per check, fixed costs by service, the assumptions. */
export function formatCost(e: CostEstimate): string {
  const out: string[] = [];
  for (const c of e.checks) {
    out.push(`${c.id}  ${money(c.monthlyUsd)}/month`);
    const byService = new Map<string, number>();
    for (const i of c.items) byService.set(i.service, (byService.get(i.service) ?? 0) + i.monthlyUsd);
    for (const [service, usd] of byService) out.push(`  ${service.padEnd(22)} ${fine(usd).padStart(9)}`);
  }
  out.push('', `fixed  ${money(e.fixedMonthlyUsd)}/month`);
  const fixed = new Map<string, number>();
  for (const i of e.fixed) fixed.set(i.service, (fixed.get(i.service) ?? 0) + i.monthlyUsd);
  for (const [service, usd] of fixed) out.push(`  ${service.padEnd(22)} ${fine(usd).padStart(9)}`);
  out.push('', `total  ${money(e.totalMonthlyUsd)}/month (${e.checks.length} checks)`, '', 'assumptions:');
  for (const a of e.assumptions) out.push(`  - ${a}`);
  return out.join('\n');
}

/** The same config `cdk synth` reads, estimated; a region without prices is a user error naming it. */
export async function estimateFile(file: string): Promise<CostEstimate> {
  const config = parseConfig(await importConfig(file), file);
  try {
    return estimateCost(config);
  } catch (e) {
    if (e instanceof PriceError) throw new CliError(e.message);
    throw e;
  }
}

export async function costCommand(args: string[]): Promise<number> {
  const { values } = parseFlags('cost', {
    args,
    options: {
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      json: { type: 'boolean', default: false },
    },
  });
  const e = await estimateFile(values.config);
  if (values.json) {
    const { checks, fixedMonthlyUsd, totalMonthlyUsd, pricesAsOf } = e;
    process.stdout.write(`${JSON.stringify({ checks, fixedMonthlyUsd, totalMonthlyUsd, pricesAsOf }, null, 2)}\n`);
  } else process.stdout.write(`${formatCost(e)}\n`);
  return 0;
}
