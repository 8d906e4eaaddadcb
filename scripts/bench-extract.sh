#!/usr/bin/env bash
# Benchmark (not a test): text extraction of every corpus PDF by `intake extract` against
# poppler's `pdftotext` on the same files, each tool in one run. Prints wall time, the ratio
# and peak RSS (from /usr/bin/time -v).
#
# Usage: scripts/bench-extract.sh [corpus-dir]     (default ../shared/corpus or $INTAKE_CORPUS)
#        INTAKE_BIN=target/debug/intake scripts/bench-extract.sh   (default: a release build)
# pdftotext gets PDFTOTEXT_TIMEOUT seconds per file (default 30), since it never finishes on
# the decompression bomb; intake stops by its own per-document limit.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS="${1:-${INTAKE_CORPUS:-../shared/corpus}}"
BIN="${INTAKE_BIN:-target/release/intake}"
TIMEOUT="${PDFTOTEXT_TIMEOUT:-30}"
[ -d "$CORPUS/pdf" ] || { echo "corpus not found at $CORPUS (set INTAKE_CORPUS)" >&2; exit 2; }
command -v pdftotext >/dev/null || { echo "pdftotext not installed (apt-get install poppler-utils)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time not installed (apt-get install time)" >&2; exit 2; }
if [ ! -x "$BIN" ]; then
  echo "building $BIN ..." >&2
  cargo build --release --bin intake >&2
fi
mapfile -t PDFS < <(find "$CORPUS/pdf" -name '*.pdf' | sort)
echo "${#PDFS[@]} PDFs in $CORPUS/pdf"

measure() { # label, command...
  local label=$1; shift
  local log; log=$(mktemp)
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v "$@" >/dev/null 2>"$log" || true
  end=$(date +%s.%N)
  local rss; rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  local secs; secs=$(echo "$end - $start" | bc)
  printf '%-10s %8.2f s   peak RSS %7.1f MiB\n' "$label" "$secs" "$(echo "$rss / 1024" | bc -l)"
  rm -f "$log"
  echo "$secs" > "/tmp/bench-extract-$label"
}

measure intake "$BIN" extract "${PDFS[@]}"
measure pdftotext sh -c 'for f in "$@"; do timeout '"$TIMEOUT"' pdftotext -q "$f" - || true; done' sh "${PDFS[@]}"
ratio=$(echo "$(cat /tmp/bench-extract-intake) / $(cat /tmp/bench-extract-pdftotext)" | bc -l)
printf 'time ratio intake / pdftotext: %.2f (below 1 means intake is faster)\n' "$ratio"
rm -f /tmp/bench-extract-intake /tmp/bench-extract-pdftotext
