/** One probe region: the runner Lambda and its once-a-minute schedules, one per shard (shared/runner/plan.ts). */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ValidatedConfig } from '../shared/config/types';
import { BrowserRunner, browserChecksIn } from './browser-runner';
import { Runner } from './runner';

export interface ProbeStackProps extends StackProps {
  config: ValidatedConfig;
}

export class ProbeStack extends Stack {
  readonly runner: Runner;
  /** Only in a region with browser checks. */
  readonly browserRunner?: BrowserRunner;

  constructor(scope: Construct, id: string, props: ProbeStackProps) {
    super(scope, id, props);
    this.runner = new Runner(this, 'Runner', { config: props.config });
    if (browserChecksIn(props.config, this.region).length)
      this.browserRunner = new BrowserRunner(this, 'BrowserRunner', { config: props.config, runner: this.runner });
  }
}
