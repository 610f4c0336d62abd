#!/usr/bin/env bash
# npm_ci: installs playwright-core (pinned in tests/browser/package-lock.json) into WORK,
# in the build tree: package.json and package-lock.json are copied there and `npm ci` runs
# when the lock changed or nothing is installed yet. No browser is downloaded: the tests
# drive Debian's /usr/bin/chromium.
# usage: npm_ci.sh SOURCE_DIR WORK_DIR
set -euo pipefail
src="$1/tests/browser"
work="$2"

command -v npm >/dev/null || { echo "browser npm_ci: npm not found (Node.js 20 + npm)" >&2; exit 1; }
mkdir -p "$work"
stamp="$work/.lock.sha256"
want="$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ -f "$work/node_modules/playwright-core/package.json" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then
    echo "browser npm_ci: playwright-core is installed in $work"
    exit 0
fi
cp "$src/package.json" "$src/package-lock.json" "$work/"
echo "browser npm_ci: npm ci in $work"
(cd "$work" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefer-offline --no-audit --no-fund --loglevel=error) 2>&1 |
    grep -v 'Unknown user config' || true
[[ -f "$work/node_modules/playwright-core/package.json" ]] || { echo "browser npm_ci: npm ci failed" >&2; exit 1; }
printf '%s\n' "$want" >"$stamp"
echo "browser npm_ci: playwright-core $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$work/node_modules/playwright-core/package.json" | head -n 1) installed"
