#!/bin/sh
# End-to-end benchmark (not a test): APPEND-to-confirmation latency over IDLE (p50/p95 over
# 100 mails) and a burst of 500 nominations with two-page PDFs (mails/s, peak RSS), on SQLite
# and PostgreSQL, against real Dovecot, SMTP sink and PostgreSQL processes.
#
#   scripts/bench-e2e.sh                      # debug build, both databases
#   PROFILE=release scripts/bench-e2e.sh      # optimised build (compiles a release target once)
#   scripts/bench-e2e.sh --db sqlite --latency 50 --burst 200
#
# Needs the packages of scripts/install-test-deps.sh.
set -eu
cd "$(dirname "$0")/.."
profile="${PROFILE:-debug}"
if [ "$profile" = "release" ]; then
    cargo build --quiet --release --bin intake
else
    cargo build --quiet --bin intake
fi
exec /usr/bin/python3 scripts/testenv/bench_e2e.py --binary "$PWD/target/$profile/intake" "$@"
