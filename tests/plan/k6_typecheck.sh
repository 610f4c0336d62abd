#!/usr/bin/env bash
# k6_typecheck: type-checks the k6 scripts (bench/k6) with TypeScript against @types/k6.
# node_modules lives in the build tree, installed there by tests/support/npm_ci.sh; the
# scripts are copied beside it (so `k6/http` resolves from WORK/node_modules) and tsc runs
# on the copy with bench/k6/tsconfig.json. Errors are reported with source paths.
# usage: k6_typecheck.sh SOURCE_DIR WORK_DIR
set -euo pipefail
src="$1"
work="$2"
k6="$src/bench/k6"

bash "$src/tests/support/npm_ci.sh" k6_typecheck "$k6" "$work" node_modules/.bin/tsc

# A fresh copy of the scripts each run (removed files must not linger).
rm -rf "$work/src"
mkdir -p "$work/src"
(cd "$k6" && find . -path ./node_modules -prune -o \( -name '*.js' -o -name '*.ts' -o -name 'tsconfig.json' -o -name 'jsconfig.json' \) -print |
    while read -r f; do mkdir -p "$work/src/$(dirname "$f")" && cp "$f" "$work/src/$f"; done)
ln -sfn "$work/node_modules" "$work/src/node_modules"

echo "k6_typecheck: tsc $("$work/node_modules/.bin/tsc" --version) on bench/k6"
rc=0
(cd "$work/src" && "$work/node_modules/.bin/tsc" -p . --pretty false) >"$work/tsc.out" 2>&1 || rc=$?
sed -e "s#^#bench/k6/#" "$work/tsc.out"
if ((rc != 0)); then
    echo "k6_typecheck: TypeScript found errors in bench/k6" >&2
    exit 1
fi
echo "k6_typecheck: bench/k6 type-checks"
