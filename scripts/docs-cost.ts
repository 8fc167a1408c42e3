/** `npm run docs:cost`: rewrites docs/deploy.md's cost section from the cost model. */
import { readFileSync, writeFileSync } from 'node:fs';
import { withCostSection } from '../shared/cost/doc';

const file = new URL('../docs/deploy.md', import.meta.url);
writeFileSync(file, withCostSection(readFileSync(file, 'utf8')));
process.stderr.write('docs/deploy.md: cost section written\n');
