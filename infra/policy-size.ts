/**
 * IAM's size limits, measured on the synthesized templates the way IAM measures: the policy
 * document as JSON with every whitespace character left out. Values CloudFormation fills in at
 * deploy time (partition, account, other resources' ARNs) are counted at their longest, so a
 * policy that passes here fits in any account and partition.
 */
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';

/** IAM quotas (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html), default values. */
export const IAM_LIMITS = {
  /** Characters of one customer managed policy. */
  managedPolicy: 6_144,
  /** Characters of all inline policies of one role together. */
  inlinePerRole: 10_240,
  /** Characters of a role's trust policy. */
  trustPolicy: 2_048,
  /** Managed policies attached to one role. */
  managedPerRole: 10,
} as const;

/** Longest values of the pseudo parameters a policy may use. */
const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws-us-gov',
  'AWS::AccountId': '123456789012',
  'AWS::Region': 'ap-southeast-5',
  'AWS::URLSuffix': 'amazonaws.com.cn',
  'AWS::NoValue': '',
};
/** What another resource's Ref or attribute (an ARN, a name) counts as: longer than watchpost's own ARNs. */
export const RESOURCE_VALUE_CHARS = 128;
const other = 'x'.repeat(RESOURCE_VALUE_CHARS);

/** `value` with CloudFormation intrinsics replaced by the longest strings they can become (the region: the stack's). */
export function renderIntrinsics(value: unknown, region?: string): unknown {
  const r = (v: unknown) => renderIntrinsics(v, region);
  const str = (v: unknown) => {
    const x = r(v);
    return typeof x === 'string' ? x : JSON.stringify(x);
  };
  const pseudo = (name: string) => (name === 'AWS::Region' && region ? region : (PSEUDO[name] ?? other));
  if (Array.isArray(value)) return value.map(r);
  if (!value || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [fn, arg] = entries[0]!;
    if (fn === 'Ref') return pseudo(String(arg));
    if (fn === 'Fn::GetAtt' || fn === 'Fn::ImportValue' || fn === 'Fn::GetAZs') return other;
    if (fn === 'Fn::Join' && Array.isArray(arg)) {
      const parts = r(arg[1]);
      if (!Array.isArray(parts)) return other;
      return parts.map((p) => (typeof p === 'string' ? p : str(p))).join(String(arg[0]));
    }
    if (fn === 'Fn::Sub') {
      const [text, vars] = Array.isArray(arg)
        ? [String(arg[0]), (arg[1] ?? {}) as Record<string, unknown>]
        : [String(arg), {}];
      return text.replace(/\$\{([^}!]+)\}/g, (_, n: string) => (n in vars ? str(vars[n]) : pseudo(n)));
    }
    if (fn === 'Fn::If' && Array.isArray(arg)) {
      const [a, b] = [str(arg[1]), str(arg[2])];
      return a.length >= b.length ? r(arg[1]) : r(arg[2]);
    }
    if (fn.startsWith('Fn::')) return other;
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, r(v)]));
}

/** Characters IAM counts for a policy document: minified JSON, whitespace excluded. */
export function policyChars(doc: unknown, region?: string): number {
  return JSON.stringify(renderIntrinsics(doc, region)).replace(/\s/g, '').length;
}

interface RoleUsage {
  path: string;
  inline: Array<{ path: string; chars: number }>;
  managed: string[];
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

/**
 * One line per policy, role or trust policy over IAM's limits in the assembly's templates,
 * naming the stack, the role and the policy (construct paths), with a hint.
 */
export function iamProblems(assembly: CloudAssembly): string[] {
  const problems: string[] = [];
  for (const stack of assembly.stacks) {
    const resources = (stack.template as { Resources?: Record<string, Resource> }).Resources ?? {};
    const region = stack.environment.region;
    // Construct paths read better than logical ids: "<stack>/Runner/Role".
    const ids = stack.findMetadataByType('aws:cdk:logicalId');
    const paths = new Map(ids.map((m) => [String(m.data), m.path.replace(/^\//, '')]));
    const where = (id: string) => (paths.get(id) ?? id).replace(/\/Resource$/, '');
    const roles = new Map<string, RoleUsage>();
    const role = (ref: unknown): RoleUsage => {
      const isRef = ref && typeof ref === 'object' && 'Ref' in ref;
      const id = isRef ? String((ref as { Ref: unknown }).Ref) : JSON.stringify(ref);
      let u = roles.get(id);
      if (!u) roles.set(id, (u = { path: resources[id] ? where(id) : id, inline: [], managed: [] }));
      return u;
    };
    for (const [id, res] of Object.entries(resources)) {
      const props = res.Properties ?? {};
      if (res.Type === 'AWS::IAM::Role') {
        const u = role({ Ref: id });
        const trust = policyChars(props.AssumeRolePolicyDocument ?? {}, region);
        const limit = IAM_LIMITS.trustPolicy;
        if (trust > limit)
          problems.push(`${stack.stackName}: role ${u.path}: trust policy is ${trust} characters, IAM allows ${limit}`);
        for (const p of (props.Policies ?? []) as Array<{ PolicyName: string; PolicyDocument: unknown }>) {
          u.inline.push({ path: `${u.path} inline ${p.PolicyName}`, chars: policyChars(p.PolicyDocument, region) });
        }
        for (const arn of (props.ManagedPolicyArns ?? []) as unknown[]) {
          u.managed.push(typeof arn === 'string' ? arn : JSON.stringify(arn));
        }
      } else if (res.Type === 'AWS::IAM::Policy') {
        const chars = policyChars(props.PolicyDocument, region);
        for (const r of (props.Roles ?? []) as unknown[]) role(r).inline.push({ path: where(id), chars });
      } else if (res.Type === 'AWS::IAM::ManagedPolicy') {
        const chars = policyChars(props.PolicyDocument, region);
        const attached = ((props.Roles ?? []) as unknown[]).map((r) => role(r));
        if (chars > IAM_LIMITS.managedPolicy)
          problems.push(
            `${stack.stackName}: role ${attached.map((u) => u.path).join(', ') || '(none)'}: ` +
              `managed policy ${where(id)} is ${chars} characters, ` +
              `IAM allows ${IAM_LIMITS.managedPolicy}`,
          );
        for (const u of attached) u.managed.push(where(id));
      }
    }
    for (const u of roles.values()) {
      const total = u.inline.reduce((n, p) => n + p.chars, 0);
      if (total > IAM_LIMITS.inlinePerRole)
        problems.push(
          `${stack.stackName}: role ${u.path}: inline policies are ${total} characters together ` +
            `(${u.inline.map((p) => `${p.path} ${p.chars}`).join(', ')}), IAM allows ${IAM_LIMITS.inlinePerRole}`,
        );
      if (u.managed.length > IAM_LIMITS.managedPerRole)
        problems.push(
          `${stack.stackName}: role ${u.path}: ${u.managed.length} managed policies attached ` +
            `(${u.managed.join(', ')}), IAM allows ${IAM_LIMITS.managedPerRole}`,
        );
    }
  }
  return problems;
}
