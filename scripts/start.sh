#!/usr/bin/env bash
# The README's first command: installs the npm packages when needed, then runs the monitor
# locally (`npm start` = `watchpost dev --demo`) with the demo shop and the embedded store.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci (first run only)"
  npm ci --no-audit --no-fund
fi
# The demo's browser check runs Debian's Chromium (playwright-core drives it; nothing is downloaded).
if ! command -v chromium >/dev/null 2>&1 && [ -z "${WATCHPOST_CHROMIUM:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> apt-get install chromium (first run only, for the browser check)"
    export DEBIAN_FRONTEND=noninteractive
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } \
      >/tmp/watchpost-apt.log 2>&1 \
      || echo "could not install chromium (see /tmp/watchpost-apt.log): the browser check will fail" >&2
    rm -f /usr/sbin/policy-rc.d
  else
    echo "note: no chromium found: the demo's browser check fails until you install it (apt-get install chromium)" >&2
  fi
fi
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
exec npm start --silent -- "$@"
