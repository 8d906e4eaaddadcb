#!/usr/bin/env bash
# The test command: installs what the tests need (Debian packages for the real Dovecot, SMTP
# server and PostgreSQL they start on 127.0.0.1, Chromium and the npm packages of the browser
# tests), then checks formatting, lints and runs every test. The corpus tests read
# ../shared/corpus (override with INTAKE_CORPUS) and fail plainly when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
# The browser tests' npm packages (playwright-core, axe-core), as locked; only when they changed.
if [ ! -d tests/web/node_modules ] || [ tests/web/package-lock.json -nt tests/web/node_modules/.package-lock.json ]; then
    npm ci --prefix tests/web --no-audit --no-fund --loglevel=error
fi
cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo test --all-targets 2>&1
