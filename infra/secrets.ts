/** Read access to exactly the Secrets Manager secrets a function needs, by name. */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * `secretsmanager:GetSecretValue` on the named secrets in `region`, or nothing when there are
 * none. Secrets Manager appends "-" and six random characters to a secret's name in its ARN.
 */
export function readSecretsStatement(sid: string, names: Iterable<string>, region: string): iam.PolicyStatement | undefined {
  const sorted = [...new Set(names)].sort();
  if (!sorted.length) return undefined;
  return new iam.PolicyStatement({
    sid,
    actions: ['secretsmanager:GetSecretValue'],
    resources: sorted.map((name) => `arn:${Aws.PARTITION}:secretsmanager:${region}:${Aws.ACCOUNT_ID}:secret:${name}-??????`),
  });
}
