#!/usr/bin/env bash
# The main job on the embedded default: processes the sample mailbox (examples/mailbox, copied
# to var/mailbox on the first run), writes letters to var/outbox, stores everything in
# var/intake.db, prints a summary and the submissions. Run it again: nothing new is sent.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d var/mailbox ]; then
  mkdir -p var
  cp -R examples/mailbox var/mailbox
  find var/mailbox -name .gitkeep -delete
fi
cargo run --quiet --bin intake -- run --once
cargo run --quiet --bin intake -- submissions
