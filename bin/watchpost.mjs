#!/usr/bin/env node
// Entry point for `npx watchpost`. Installed, it runs the compiled CLI (dist/); in a checkout of
// the repository it runs the TypeScript sources through tsx, so development needs no build step.
// Either way tsx is used for one more thing only: loading a watchpost.config.ts.
import { existsSync } from 'node:fs';
import { register } from 'node:module';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const sources = new URL('../shared/cli/main.ts', import.meta.url);
let main;
if (existsSync(sources)) {
  // `import 'watchpost'` (the demo config, a project linked to this checkout) resolves to the
  // sources: package.json's exports list them under the "watchpost-source" condition.
  const hook =
    'export const resolve = (s, c, next) => ' + "next(s, { ...c, conditions: [...c.conditions, 'watchpost-source'] });";
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
  (await import('tsx/esm/api')).register();
  ({ main } = await import(sources.href));
} else {
  ({ main } = await import('../dist/shared/cli/main.js'));
}
process.exitCode = await main(process.argv.slice(2));
