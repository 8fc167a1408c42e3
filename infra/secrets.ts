/**
 * Read access to exactly the Secrets Manager secrets a function needs, by name, inside IAM's
 * size limits at any number of secrets:
 *
 * - one ARN per secret (`<name>-??????`: Secrets Manager appends "-" and six random characters)
 *   while they fit: first in the role's inline policy (up to {@link INLINE_SECRETS_CHARS}), then
 *   spread over up to {@link MAX_SECRET_POLICIES} customer managed policies of 6,144 characters;
 * - only when the exact list cannot fit, names sharing the longest common prefix are granted as
 *   `<prefix>*`, longest prefixes first (the narrowest grouping that fits), never with a prefix
 *   shorter than {@link MIN_GROUP_PREFIX} characters. A group also matches secrets the config does
 *   not reference that begin with the same prefix: the trade-off docs/deploy.md explains.
 *
 * What still does not fit is left over the limits on purpose: the synth check (infra/policy-size.ts)
 * then stops `cdk synth` naming the stack, role and policy.
 */
import { Aws, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { IAM_LIMITS, policyChars } from './policy-size';

/** Characters of the role's inline policy that secret ARNs may take before managed policies are used. */
export const INLINE_SECRETS_CHARS = 4_000;
/** Managed policies a role gets for secrets at most (IAM's default quota is 10 per role). */
export const MAX_SECRET_POLICIES = 10;
/** The shortest prefix a `<prefix>*` group may have. */
export const MIN_GROUP_PREFIX = 4;

const ACTION = 'secretsmanager:GetSecretValue';

/** One granted resource: a secret name, or a prefix with the names it stands for. */
export interface SecretPattern {
  /** The secret name, or the prefix of a group. */
  key: string;
  /** `true`: `<key>*`, granting every secret whose name begins with key. */
  prefix: boolean;
  /** The referenced names it covers. */
  names: string[];
}

export interface SecretGrantPlan {
  /** Patterns in the role's inline policy. */
  inline: SecretPattern[];
  /** Patterns per managed policy. */
  managed: SecretPattern[][];
  /** Whether everything fits the limits above. */
  fits: boolean;
}

/** After the name: `-??????` for one secret (Secrets Manager's random suffix), `*` for a group. */
const tail = (p: SecretPattern) => (p.prefix ? '*' : '-??????');
/** The ARN as IAM counts it: partition and account at their longest. */
const arnText = (region: string, p: SecretPattern) =>
  `arn:aws-us-gov:secretsmanager:${region}:123456789012:secret:${p.key}${tail(p)}`;

/** Characters of a statement's fixed part (everything but its resources) in a policy of its own. */
function statementOverhead(sid: string): number {
  const statement = { Sid: `${sid}10`, Effect: 'Allow', Action: ACTION, Resource: [] };
  return policyChars({ Version: '2012-10-17', Statement: [statement] });
}

type Packed = Omit<SecretGrantPlan, 'fits'> & { bins: number };

function pack(patterns: readonly SecretPattern[], region: string, sid: string): Packed {
  // Each resource adds its quoted ARN and a comma.
  const size = (p: SecretPattern) => arnText(region, p).length + 3;
  const managedBudget = IAM_LIMITS.managedPolicy - statementOverhead(sid);
  const inline: SecretPattern[] = [];
  const managed: SecretPattern[][] = [];
  let used = 0;
  let budget = INLINE_SECRETS_CHARS;
  let bin = inline;
  for (const p of patterns) {
    if (used + size(p) > budget && bin.length) {
      managed.push((bin = []));
      used = 0;
      budget = managedBudget;
    }
    bin.push(p);
    used += size(p);
  }
  return { inline, managed, bins: managed.length };
}

const commonPrefix = (a: string, b: string) => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
};

/** How `names` are granted in `region` (see the module comment). The same names always give the same plan. */
export function planSecretGrant(names: Iterable<string>, region: string, sid = 'Secrets'): SecretGrantPlan {
  let patterns: SecretPattern[] = [...new Set(names)].sort().map((n) => ({ key: n, prefix: false, names: [n] }));
  for (;;) {
    const packed = pack(patterns, region, sid);
    const fits = packed.bins <= MAX_SECRET_POLICIES && packed.managed.every((b) => b.length);
    if (fits) return { inline: packed.inline, managed: packed.managed, fits };
    // The longest prefix two neighbours share (sorted, neighbours share the most).
    let best = '';
    for (let i = 0; i + 1 < patterns.length; i++) {
      const c = commonPrefix(patterns[i]!.key, patterns[i + 1]!.key);
      if (c.length > best.length) best = c;
    }
    if (best.length < MIN_GROUP_PREFIX) return { inline: packed.inline, managed: packed.managed, fits: false };
    const first = patterns.findIndex((p) => p.key.startsWith(best));
    let end = first;
    while (end < patterns.length && patterns[end]!.key.startsWith(best)) end++;
    const covered = patterns.slice(first, end).flatMap((p) => p.names);
    const group: SecretPattern = { key: best, prefix: true, names: covered };
    patterns = [...patterns.slice(0, first), group, ...patterns.slice(end)];
  }
}

/** `secretsmanager:GetSecretValue` on exact names only, or nothing when there are none (small, fixed sets). */
export function readSecretsStatement(
  sid: string,
  names: Iterable<string>,
  region: string,
): iam.PolicyStatement | undefined {
  const sorted = [...new Set(names)].sort();
  if (!sorted.length) return undefined;
  return statementFor(
    sid,
    sorted.map((n) => ({ key: n, prefix: false, names: [n] })),
    region,
  );
}

function statementFor(sid: string, patterns: readonly SecretPattern[], region: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    actions: [ACTION],
    resources: patterns.map(
      (p) => `arn:${Aws.PARTITION}:secretsmanager:${region}:${Aws.ACCOUNT_ID}:secret:${p.key}${tail(p)}`,
    ),
  });
}

export interface GrantSecretsProps {
  role: iam.Role;
  /** Secret names (deduplicated and sorted here). */
  names: Iterable<string>;
  /** The region the secrets live in. */
  region: string;
  /** Statement id; managed policies get `<sid>1`, `<sid>2`… */
  sid: string;
  /** For the managed policies' descriptions, e.g. "secrets of the checks run in us-east-1". */
  purpose: string;
}

/**
 * Grants `GetSecretValue` on the names within IAM's limits (see the module comment). Returns
 * the managed policies created (the function should depend on them) and the plan.
 */
export function grantSecretReads(
  scope: Construct,
  props: GrantSecretsProps,
): { policies: iam.ManagedPolicy[]; plan: SecretGrantPlan } {
  const plan = planSecretGrant(props.names, props.region, props.sid);
  if (plan.inline.length) props.role.addToPolicy(statementFor(props.sid, plan.inline, props.region));
  const policies = plan.managed.map((patterns, i) => {
    const policy = new iam.ManagedPolicy(scope, `${props.sid}${i + 1}`, {
      description: `watchpost: read ${props.purpose} (part ${i + 1} of ${plan.managed.length})`,
      statements: [statementFor(`${props.sid}${i + 1}`, patterns, props.region)],
      roles: [props.role],
    });
    acknowledgeGroups(policy, patterns, props.region);
    return policy;
  });
  if (plan.inline.some((p) => p.prefix)) acknowledgeGroups(props.role, plan.inline, props.region);
  return { policies, plan };
}

/** The ARN of every secret whose name begins with `prefix`, as cdk-nag spells it in a finding id. */
const secretArnPattern = (region: string, prefix: string) =>
  `arn:<AWS::Partition>:secretsmanager:${region}:<AWS::AccountId>:secret:${prefix}*`;

/** cdk-nag: one acknowledgement per `<prefix>*` resource (exact finding id), saying which names it stands for. */
function acknowledgeGroups(scope: Construct, patterns: readonly SecretPattern[], region: string): void {
  for (const p of patterns.filter((x) => x.prefix)) {
    Validations.of(scope).acknowledge({
      // The finding id cdk-nag gives the resource, exactly.
      id: `AwsSolutions-IAM5[Resource::${secretArnPattern(region, p.key)}]`,
      reason:
        `${p.names.length} secrets the config references begin with "${p.key}"; one ARN each would exceed ` +
        `IAM's policy size limits, so they are granted as one prefix (docs/deploy.md, "Secret grants at any size").`,
    });
  }
}
