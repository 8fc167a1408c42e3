/**
 * What one run of a kind costs beyond the common items: the per-kind cost hook. A kind that
 * brings its own resources (the coming `browser` kind's Lambda with Chromium) adds one entry
 * here, keyed by its `kind`, and `watchpost cost`, `cdk synth`'s estimate and the deploy guide
 * all pick it up.
 */
import type { ValidatedCheck } from '../config/types';
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
};

/** A kind without a profile: sized like a large http result. */
export const DEFAULT_KIND_COST: KindCostProfile = { resultBytes: 1_500 };
