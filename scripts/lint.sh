#!/usr/bin/env bash
# `npm run lint`: Biome's formatter and recommended lint rules (biome.json), then lines of at most
# 120 characters (Biome wraps code, not long strings or comments). Fails on any finding, warnings
# included: split a long string with `+`, reflow a comment, give `unknown` and narrow instead of `any`.
# `npm run format` applies the formatter and the safe fixes.
#
# Rules biome.json turns off (JSON has no comments, so the reasons are here):
# - style/noNonNullAssertion: `!` marks values the code knows exist (validated config, an index
#   into a list it just built); TypeScript checks the rest, and 540 rewrites would hide no bug.
# - suspicious/noControlCharactersInRegex: every such regex strips or finds control characters
#   on purpose (ANSI colours, alarm names, page text, JSON escapes in redaction).
# - suspicious/noAssignInExpressions: the house memo idiom `cache.set(k, (v = compute()))`,
#   `return (x ??= make())` and `while ((i = buf.indexOf(...)) >= 0)` read loops.
# - suspicious/noExplicitAny in test/ and bench/: CloudFormation templates and SDK bodies are
#   untyped JSON there. It stays on in the product code (a warning, which fails the lint).
# - suspicious/noFocusedTests outside test/: `fit()` in shared/alarms/specs.ts fits a name to
#   a length; it is not Jasmine's focused test. It stays on in test/.
# - suspicious/noEmptyInterface in shared/config/types.ts: `interface CheckKinds {}` is augmented
#   by every kind (declaration merging); the rule's fix (`type = {}`) would break every kind.
# - assist organizeImports: off, to keep the first format's diff to layout.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
npx biome ci --error-on-warnings . || status=1
long="$(git ls-files -co --exclude-standard -- shared functions infra bin test bench scripts '*.ts' \
  | grep -E '\.(ts|mts|mjs|js|css|html|sh)$' \
  | LC_ALL=C.UTF-8 xargs -r grep -nE '^.{121,}' || true)"
if [ -n "$long" ]; then
  printf '%s\n' "$long" | cut -c1-160
  echo "lint: $(printf '%s\n' "$long" | wc -l) lines over 120 characters" >&2
  status=1
fi
[ "$status" = 0 ] && [ -z "$long" ] && echo "lint: no findings"
exit "$status"
