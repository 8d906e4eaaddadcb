#!/usr/bin/env bash
# The main job on the embedded default: processes the sample mailbox (examples/mailbox, copied
# to var/mailbox on the first run), writes letters to var/outbox, stores everything in
# var/intake.db, prints a summary and the submissions. Run it again: nothing new is sent.
# Output: the summary and the table on stdout; warnings and errors (if any) on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d var/mailbox ]; then
  mkdir -p var
  cp -R examples/mailbox var/mailbox
  find var/mailbox -name .gitkeep -delete
fi
intake() { cargo run --quiet --bin intake -- "$@"; }
intake run --once
echo
intake submissions
echo
echo "Next: one nomination with its evidence:      cargo run -q -- show KVN-0002"
echo "      the letter the municipality received:  cargo run -q -- letters show KVN-0002"
echo "      every letter and its state:            cargo run -q -- outbox"
