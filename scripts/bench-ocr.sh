#!/usr/bin/env bash
# Benchmark (not a test): OCR of image-only PDFs and images by `intake extract`, one file at a
# time. Prints per file the pages, wall time, pages per second and peak RSS (the largest of the
# intake, its document worker and the OCR programs, from /usr/bin/time), and the totals.
#
# Usage: scripts/bench-ocr.sh [file...]   (default: the corpus PDFs without a text layer, found
#                                          with OCR off; corpus ../shared/corpus or $INTAKE_CORPUS)
#        INTAKE_BIN=target/debug/intake scripts/bench-ocr.sh ...   (default: a release build)
# Scans made by the OCR tests: INTAKE_OCR_DUMP=/tmp/scans cargo test --test it ocr:: keeps
# them (lang.pdf: six pages at 300 dpi; photo.pdf, photo.jpg: a phone photo).
# Each document gets OCR_BENCH_TIMEOUT seconds (default 300), so that no page is cut short.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${INTAKE_BIN:-target/release/intake}"
TIMEOUT="${OCR_BENCH_TIMEOUT:-300}"
command -v tesseract >/dev/null || { echo "tesseract not installed (apt-get install tesseract-ocr tesseract-ocr-nld tesseract-ocr-osd)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time not installed (apt-get install time)" >&2; exit 2; }
if [ ! -x "$BIN" ]; then
  echo "building $BIN ..." >&2
  cargo build --release --bin intake >&2
fi
if [ $# -gt 0 ]; then
  FILES=("$@")
else
  CORPUS="${INTAKE_CORPUS:-../shared/corpus}"
  [ -d "$CORPUS/pdf" ] || { echo "corpus not found at $CORPUS (set INTAKE_CORPUS)" >&2; exit 2; }
  mapfile -t FILES < <(INTAKE__DOCUMENTS__OCR=off "$BIN" extract "$CORPUS"/pdf/*.pdf 2>/dev/null \
    | grep 'scan_without_text' | cut -d: -f1 || true)
fi
echo "${#FILES[@]} files; OCR with $(tesseract --version 2>&1 | head -1)"
total_pages=0
total_secs=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for f in "${FILES[@]}"; do
  start=$(date +%s.%N)
  line=$(INTAKE__DOCUMENTS__TIMEOUT_SECS_PER_DOCUMENT="$TIMEOUT" /usr/bin/time -v -o "$log" \
    "$BIN" extract "$f" 2>/dev/null || true)
  end=$(date +%s.%N)
  secs=$(echo "$end - $start" | bc)
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  pages=$(echo "$line" | grep -o '[0-9]* pages\? (exact)' | grep -o '^[0-9]*' || echo 0)
  pages=${pages:-0}
  basis=$(echo "$line" | grep -o 'by OCR, confidence [0-9]* %' || echo "no OCR text")
  printf '%-60s %3s page(s) %7.2f s %6.2f pages/s  peak RSS %6.1f MiB  %s\n' \
    "$(basename "$f")" "$pages" "$secs" "$(echo "$pages / $secs" | bc -l)" \
    "$(echo "$rss / 1024" | bc -l)" "$basis"
  total_pages=$((total_pages + pages))
  total_secs=$(echo "$total_secs + $secs" | bc)
done
printf 'total: %d pages in %.1f s: %.2f pages/s\n' "$total_pages" "$total_secs" \
  "$(echo "$total_pages / $total_secs" | bc -l)"
