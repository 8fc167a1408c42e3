#!/usr/bin/env node
// Entry point for `npx watchpost`: registers tsx so the TypeScript CLI and .ts configs load
// without a build step, then hands over.
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../shared/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
