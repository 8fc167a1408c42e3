// Builds the email probe as a file of its own beside a runner bundle (afterBundling hook of
// infra/bundling.ts): `node infra/build-email-probe.mjs <outputDir>`. Same esbuild settings as
// the runner itself. Plain JS so that the hook needs nothing but node.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: node infra/build-email-probe.mjs <outputDir>');
  process.exit(2);
}
const aliases = JSON.parse(readFileSync(join(root, 'shared/bundle-shims/aliases.json'), 'utf8'));
await build({
  absWorkingDir: root,
  entryPoints: ['./shared/probes/email/probe.ts'],
  outfile: join(outDir, 'email-probe.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  mainFields: ['module', 'main'],
  banner: {
    js: "import { createRequire as __wpRequire } from 'node:module'; const require = __wpRequire(import.meta.url);",
  },
  alias: aliases,
  logLevel: 'warning',
});
