/** The files `watchpost init` writes (shared/cli/init.ts). Plain text: what a user reads and edits. */

export interface InitOptions {
  project: string;
  /** The service to check; none: a clearly marked example. */
  url?: string;
}

export function configFile({ project, url }: InitOptions): string {
  const check = url
    ? `    {
      id: 'home',
      name: 'Home page',
      kind: 'http',
      url: ${JSON.stringify(url)},
      assertions: [status.equals(200), latency.lessThan(2000)],
    },`
    : `    // EXAMPLE — replace with your own service (or run \`npx watchpost init --url https://…\`).
    {
      id: 'example',
      name: 'Example page',
      kind: 'http',
      url: 'https://example.com/',
      assertions: [status.equals(200), latency.lessThan(2000)],
    },`;
  return `/**
 * What watchpost checks, from where, and who is paged. \`npx watchpost validate\` lists every
 * problem; \`npx watchpost run\` runs each check once, here, with no AWS account.
 * Other kinds (tcp, dns, tls, email, heartbeat, queue, metric, multistep): see watchpost's README.
 */
import { defineConfig, latency, status } from 'watchpost';

export default defineConfig({
  project: ${JSON.stringify(project)},
  homeRegion: 'eu-central-1',
  regions: ['eu-central-1', 'us-east-1'],
  // Who is paged (SNS): put your on-call people here before \`cdk deploy\`.
  notify: {
    critical: { email: [] },
    warning: { email: [] },
  },
  defaults: { frequency: '1m', timeout: '10s', retries: 1 },
  checks: [
${check}
  ],
});
`;
}

export function readme({ project }: InitOptions): string {
  return `# ${project} — monitoring with watchpost

Checks live in \`watchpost.config.ts\`.

\`\`\`bash
npm install
npx watchpost run          # run every check once, here (exit 1 when one fails)
npx cdk deploy --all       # deploy the probes, alarms and dashboard into your AWS account
\`\`\`

More:

- \`npx watchpost validate\` — every config problem, with where and how to fix it
- \`npx watchpost dev\` — the checks on their schedule, a live view and a local dashboard
- \`npx cdk synth\` — the CloudFormation templates, offline, with no AWS credentials
- \`npx cdk deploy --all -c alarmActions=off\` — a first deploy whose alarms page nobody yet
`;
}

export const CDK_JSON = `${JSON.stringify(
  {
    app: 'npx watchpost cdk-app',
    watch: { include: ['watchpost.config.ts'] },
    context: {},
  },
  null,
  2,
)}\n`;

/** Lines a monitoring project keeps out of git (each added to an existing .gitignore if missing). */
export const GITIGNORE_LINES = ['node_modules/', 'cdk.out/', '.watchpost/', '*.log'];

/** Editor help for the config; `watchpost` loads the config with tsx and needs none of it. */
export const TSCONFIG_JSON = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'Bundler',
      strict: true,
      skipLibCheck: true,
      noEmit: true,
    },
    include: ['watchpost.config.ts'],
  },
  null,
  2,
)}\n`;
