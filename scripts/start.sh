#!/usr/bin/env bash
# The README's first command: installs the npm packages when needed, then runs the monitor
# locally (`npm start` = `watchpost dev --demo`) with the demo shop and the embedded store.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci (first run only)"
  npm ci --no-audit --no-fund
fi
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
exec npm start --silent -- "$@"
