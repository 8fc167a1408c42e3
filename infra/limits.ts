/**
 * CloudFormation's per-template limits and IAM's policy size limits (infra/policy-size.ts),
 * checked on the synthesized templates so a config that would fail at deploy time fails at
 * synth time instead, with the stack (and the role and policy) named.
 */
import { statSync } from 'node:fs';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { iamProblems } from './policy-size';

export const TEMPLATE_LIMITS = { resources: 500, bytes: 1_000_000 } as const;

export interface TemplateStats {
  stack: string;
  resources: number;
  bytes: number;
}

export function templateStats(assembly: CloudAssembly): TemplateStats[] {
  return assembly.stacks.map((s) => ({
    stack: s.stackName,
    resources: Object.keys((s.template as { Resources?: object }).Resources ?? {}).length,
    bytes: statSync(s.templateFullPath).size,
  }));
}

/** One line per template over a limit. */
export function limitProblems(stats: readonly TemplateStats[]): string[] {
  return stats.flatMap((s) => [
    ...(s.resources > TEMPLATE_LIMITS.resources
      ? [`${s.stack}: ${s.resources} resources, CloudFormation allows ${TEMPLATE_LIMITS.resources}`]
      : []),
    ...(s.bytes > TEMPLATE_LIMITS.bytes
      ? [`${s.stack}: template is ${s.bytes} bytes, CloudFormation allows ${TEMPLATE_LIMITS.bytes}`]
      : []),
  ]);
}

/** Every CloudFormation and IAM limit the assembly exceeds, one line each (empty: it deploys). */
export function assemblyProblems(assembly: CloudAssembly): string[] {
  return [...limitProblems(templateStats(assembly)), ...iamProblems(assembly)];
}
