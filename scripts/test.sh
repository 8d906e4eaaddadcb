#!/usr/bin/env bash
# The test command: installs what the tests need (Debian packages for the real Dovecot, SMTP
# server and PostgreSQL they start on 127.0.0.1), then checks formatting, lints and runs every
# test. The tests need nothing outside this repository: the corpus tests read the curated part
# in tests/data/corpus. When the full external corpus is there (../shared/corpus, or
# INTAKE_CORPUS), its corpus tests run once more on all of it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
INTAKE_CORPUS= cargo test --all-targets 2>&1
full="${INTAKE_CORPUS:-../shared/corpus}"
if [ -f "$full/MANIFEST.tsv" ]; then
    echo "== full external corpus: $full"
    INTAKE_CORPUS="$full" cargo test --test it corpus 2>&1
fi
