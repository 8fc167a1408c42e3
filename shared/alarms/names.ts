/**
 * Physical names of the AWS resources watchpost creates, derived from the project name. Fixed
 * names let stacks in other regions (and the notifier, and people) find a resource without a
 * cross-stack reference.
 */
import type { Severity } from '../config/types';

/** SNS topic per severity, in the home region. */
export const topicName = (project: string, severity: Severity) => `${project}-watchpost-${severity}`;

/** The runner Lambda: the same name in every probe region. */
export const runnerFunctionName = (project: string) => `${project}-watchpost-runner`;

/** The runner's log group (retention set by the CDK app). */
export const runnerLogGroupName = (project: string) => `/aws/lambda/${runnerFunctionName(project)}`;

/** Dashboards: the first is `<project>-watchpost`, further ones (large configs) `-2`, `-3`, … */
export const dashboardName = (project: string, index = 0) => `${project}-watchpost${index ? `-${index + 1}` : ''}`;
