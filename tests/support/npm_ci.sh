#!/usr/bin/env bash
# npm_ci: installs the npm packages pinned in PKG_DIR (package.json and package-lock.json) into
# WORK_DIR, in the build tree: both files are copied there and `npm ci` runs when the lock
# changed or WORK_DIR/PROVIDES (a file the install provides) is missing. No browser is
# downloaded: the browser tests drive Debian's /usr/bin/chromium.
# usage: npm_ci.sh NAME PKG_DIR WORK_DIR PROVIDES   (NAME prefixes every message)
set -euo pipefail
name="$1"
pkg="$2"
work="$3"
provides="$4"

command -v npm >/dev/null || { echo "$name: npm not found (Node.js 20 + npm)" >&2; exit 1; }
mkdir -p "$work"
stamp="$work/.lock.sha256"
want="$(cat "$pkg/package.json" "$pkg/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ -e "$work/$provides" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then
    echo "$name: npm packages are installed in $work"
    exit 0
fi
cp "$pkg/package.json" "$pkg/package-lock.json" "$work/"
echo "$name: npm ci in $work"
(cd "$work" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefer-offline --no-audit --no-fund --loglevel=error) 2>&1 |
    grep -v 'Unknown user config' || true
[[ -e "$work/$provides" ]] || { echo "$name: npm ci failed" >&2; exit 1; }
printf '%s\n' "$want" >"$stamp"
echo "$name: npm packages installed in $work"
