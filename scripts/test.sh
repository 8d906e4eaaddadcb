#!/usr/bin/env bash
# The test command: installs what the tests need (Debian packages for the real Dovecot, SMTP
# server and PostgreSQL they start on 127.0.0.1), then checks formatting, lints and runs every
# test. The corpus tests read ../shared/corpus (override with INTAKE_CORPUS) and fail plainly
# when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo test --all-targets 2>&1
