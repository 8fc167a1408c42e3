#!/usr/bin/env bash
# The README's test command: installs what the tests need, lints, typechecks, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
echo "==> lint"
npm run lint --silent
echo "==> typecheck"
npx tsc --noEmit -p .
echo "==> tests"
report="$(mktemp -d)/vitest.json"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# One plain closing line for CI: "N passed, N failed, N skipped".
if [ -f "$report" ]; then
  node -e 'const r = require(process.argv[1]);
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);' "$report"
fi
exit $status
