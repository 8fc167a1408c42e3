/** One probe region: the runner Lambda and its once-a-minute schedules, one per shard (shared/runner/plan.ts). */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ValidatedConfig } from '../shared/config/types';
import { Runner } from './runner';

export interface ProbeStackProps extends StackProps {
  config: ValidatedConfig;
}

export class ProbeStack extends Stack {
  readonly runner: Runner;

  constructor(scope: Construct, id: string, props: ProbeStackProps) {
    super(scope, id, props);
    this.runner = new Runner(this, 'Runner', { config: props.config });
  }
}
