/**
 * What one run of a kind costs beyond the common items: the per-kind cost hook. A kind that
 * brings its own resources (the coming `browser` kind's Lambda with Chromium) adds one entry
 * here, keyed by its `kind`, and `watchpost cost`, `cdk synth`'s estimate and the deploy guide
 * all pick it up.
 */
import type { ValidatedCheck } from '../config/types';
import { BROWSER_RUNNER, X86_OVER_ARM } from '../probes/browser/sizing';
import type { Prices } from './prices';

/** One line of an estimate. */
export interface CostItem {
  /** AWS service: `Lambda`, `DynamoDB`, `CloudWatch metrics`, `CloudWatch alarms`, `CloudWatch Logs`, … */
  service: string;
  /** What is paid for, e.g. `writes: history + latest state + daily rollup`. */
  item: string;
  /** Where it is billed. */
  region: string;
  /** Units a month, e.g. 518400 (WRU). */
  quantity: number;
  unit: string;
  /** USD per unit. */
  unitUsd: number;
  /** quantity × unitUsd. */
  monthlyUsd: number;
}

export interface KindCostProfile {
  /** Bytes of a stored result of this kind (its JSON and the item's attributes). */
  resultBytes: number;
  /** Extra monthly items of one check (e.g. its own function), given its runs a month per region. */
  extra?(
    check: ValidatedCheck,
    runsByRegion: ReadonlyMap<string, number>,
    prices: (region: string) => Prices,
  ): CostItem[];
}

/** Measured on typical results of each kind (JSON as stored, plus ~200 bytes of item attributes). */
export const KIND_COSTS: Readonly<Record<string, KindCostProfile>> = {
  http: { resultBytes: 900 },
  tcp: { resultBytes: 600 },
  dns: { resultBytes: 700 },
  tls: { resultBytes: 800 },
  email: { resultBytes: 1_000 },
  multistep: { resultBytes: 2_500 },
  heartbeat: { resultBytes: 600 },
  queue: { resultBytes: 700 },
  metric: { resultBytes: 700 },
  consistency: { resultBytes: 900 },
  logs: { resultBytes: 900 },
  // Each run is one invocation of the region's browser runner (x86_64, sized in shared/probes/browser/sizing.ts).
  browser: {
    resultBytes: 2_500,
    extra(_check, runsByRegion, prices) {
      const gbPerRun = (BROWSER_RUNNER.runSeconds * BROWSER_RUNNER.memoryMb) / 1024;
      return [...runsByRegion].flatMap(([region, runs]) => {
        const p = prices(region);
        const gbs = runs * gbPerRun;
        return [
          costItem('Lambda', 'browser runner time (x86_64)', region, gbs, 'GB-s', p.lambdaGbSecond * X86_OVER_ARM),
          costItem(
            'Lambda',
            'browser runner requests',
            region,
            runs / 1e6,
            'million requests',
            p.lambdaRequestsMillion,
          ),
        ];
      });
    },
  },
};

function costItem(service: string, what: string, region: string, quantity: number, unit: string, unitUsd: number) {
  return { service, item: what, region, quantity, unit, unitUsd, monthlyUsd: quantity * unitUsd };
}

/** A kind without a profile: sized like a large http result. */
export const DEFAULT_KIND_COST: KindCostProfile = { resultBytes: 1_500 };
