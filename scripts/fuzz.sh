#!/usr/bin/env bash
# Fuzzing as a standing guard: runs the cargo-fuzz targets in fuzz/ one after another, each for
# SECONDS (default 600), one process each, and prints per target: executions, time, coverage
# (cov/ft from libFuzzer's final line) and the crash, timeout or out-of-memory input, if any.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]        (default: every target, in order)
#        scripts/fuzz.sh --list                        (the targets)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); nightly features come from RUSTC_BOOTSTRAP=1,
# set here. Builds go to fuzz/target with `nice -n 10`, so other builds on the machine keep
# their cores. Per input: -timeout=20 s and -rss_limit_mb=2048 (a hang or a blow-up is a finding
# too). Seeds: fuzz/seeds/<target> (curated, in git), the test fixtures and the sample mailbox,
# and, when present, files of the right kind of at most 256 KiB from the shared corpus
# (INTAKE_CORPUS, default ../shared/corpus). New inputs go to fuzz/corpus/<target> and logs to
# fuzz/logs/<target>.log (both git-ignored); a summary is appended to fuzz/logs/summary.tsv.
#
# Mails and containers hand their PDF and office files to the document worker, the built
# `intake` binary (INTAKE_FUZZ_WORKER; unset: target/debug/intake, built here) as the intake
# does; the document targets parse their own format in-process, so coverage is seen.
#
# Environment: SANITIZER=address for an ASan build (default none: the project forbids unsafe
# code, and runs without ASan are about twice as fast). INTAKE_FUZZ_DEP_PANICS (default log):
# a panic inside a dependency is logged once per location and left to the boundary that
# catches it in the intake (pdf-extract panics on real files, and the PDF reader catches that
# per page by design); set it to `stop` to make those crashes too. Panics in our own code
# always stop the run (see fuzz/src/lib.rs).
#
# A finding: minimise it, keep it, replay it (tests/it/fuzz_regressions.rs replays the folder):
#   cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz tmin --sanitizer none TARGET artifacts/TARGET/crash-…
#   cp artifacts/TARGET/minimized-from-… ../tests/data/fuzz-regressions/TARGET/<short-name>
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
FUZZ="$ROOT/fuzz"
ALL=(mail document_pdf document_docx document_odt document_doc document_rtf document_tnef
    document_zip document_html document_message reply claims)

if [[ "${1:-}" == "--list" ]]; then
    printf '%s\n' "${ALL[@]}"
    exit 0
fi
SECS="${1:-600}"
if ! [[ "$SECS" =~ ^[0-9]+$ ]]; then
    echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
    exit 2
fi
shift || true
TARGETS=("$@")
if [[ ${#TARGETS[@]} -eq 0 ]]; then
    TARGETS=("${ALL[@]}")
fi
# (A loop, not `printf | grep -q`: under pipefail grep's early exit can fail the pipe.)
for t in "${TARGETS[@]}"; do
    known=0
    for a in "${ALL[@]}"; do
        [[ "$a" == "$t" ]] && known=1
    done
    if [[ $known -eq 0 ]]; then
        echo "unknown target $t (scripts/fuzz.sh --list)" >&2
        exit 2
    fi
done
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
    exit 1
fi

export RUSTC_BOOTSTRAP=1
export INTAKE_FUZZ_DEP_PANICS="${INTAKE_FUZZ_DEP_PANICS:-log}"
SANITIZER="${SANITIZER:-none}"
CORPUS="${INTAKE_CORPUS:-$ROOT/../shared/corpus}"
FIX="$ROOT/tests/fixtures"
cd "$FUZZ"
mkdir -p corpus logs

: >logs/build.log
if [[ -z "${INTAKE_FUZZ_WORKER:-}" ]]; then
    echo "building the intake binary (the document worker of mails and containers) ..."
    (cd "$ROOT" && nice -n 10 cargo build --bin intake) >logs/build.log 2>&1 || {
        tail -n 30 logs/build.log >&2
        exit 1
    }
    export INTAKE_FUZZ_WORKER="$ROOT/target/debug/intake"
fi

echo "building the fuzz targets (sanitizer: $SANITIZER) ..."
nice -n 10 cargo fuzz build --sanitizer "$SANITIZER" >>logs/build.log 2>&1 || {
    tail -n 30 logs/build.log >&2
    exit 1
}

# Copies the seeds of target $1 that live outside fuzz/seeds into fuzz/corpus/$1-seeds.
stage_seeds() {
    local t="$1" dir="corpus/$1-seeds" kinds="" globs=()
    rm -rf "$dir"
    mkdir -p "$dir"
    case "$t" in
    mail)
        globs=("$FIX"/mail/*.eml "$FIX"/documents/*.eml "$FIX"/replies/*.eml
            "$ROOT"/examples/mailbox/cur/* "$ROOT"/examples/mailbox/new/*)
        kinds="eml mbox emlx"
        ;;
    document_pdf) globs=("$FIX"/documents/*.pdf) kinds="pdf" ;;
    document_docx) globs=("$FIX"/documents/*.docx) kinds="docx docm" ;;
    document_odt) globs=("$FIX"/documents/*.odt) kinds="odt" ;;
    document_doc) globs=("$FIX"/documents/*.doc) kinds="doc" ;;
    document_rtf) globs=("$FIX"/documents/*.rtf) kinds="rtf" ;;
    document_tnef) globs=("$FIX"/documents/winmail.dat) kinds="tnef" ;;
    document_html) globs=("$FIX"/documents/*.html) ;;
    document_message) globs=("$FIX"/documents/*.eml "$FIX"/mail/*.eml) kinds="msg eml emlx" ;;
    claims) globs=("$FIX"/documents/nomination.txt "$FIX"/letters/*.txt) ;;
    esac
    for f in "${globs[@]}"; do
        [[ -f "$f" ]] && cp "$f" "$dir/"
    done
    if [[ -n "$kinds" && -f "$CORPUS/MANIFEST.tsv" ]]; then
        awk -F'\t' -v kinds=" $kinds " 'NR > 1 && index(kinds, " " $5 " ") { print $1 }' \
            "$CORPUS/MANIFEST.tsv" | while read -r rel; do
            local f="$CORPUS/$rel"
            if [[ -f "$f" && $(stat -c %s "$f") -le 262144 ]]; then
                cp "$f" "$dir/"
            fi
        done
    fi
}

dict_for() {
    case "$1" in
    document_pdf) echo dicts/pdf.dict ;;
    document_rtf) echo dicts/rtf.dict ;;
    document_docx | document_odt | document_html) echo dicts/xml.dict ;;
    mail | document_message) echo dicts/mail.dict ;;
    esac
}

STAMP="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
[[ -f logs/summary.tsv ]] || printf 'started\ttarget\tseconds\texecutions\tcov\tft\tcorpus\tresult\n' >logs/summary.tsv
printf '\n%-17s %8s %12s %7s %7s %7s  %s\n' target seconds executions cov ft corpus result
status=0
for t in "${TARGETS[@]}"; do
    stage_seeds "$t"
    mkdir -p "corpus/$t" "artifacts/$t"
    args=(-max_total_time="$SECS" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1)
    case "$t" in
    reply | claims) args+=(-max_len=65536) ;;
    *) args+=(-max_len=262144) ;;
    esac
    d="$(dict_for "$t")"
    [[ -n "$d" ]] && args+=(-dict="$d")
    seeds=("seeds/$t" "corpus/$t-seeds")
    [[ -d "seeds/$t" ]] || seeds=("corpus/$t-seeds")
    before="$(ls "artifacts/$t" | wc -l)"
    start=$(date +%s)
    set +e
    nice -n 10 cargo fuzz run --sanitizer "$SANITIZER" "$t" "corpus/$t" "${seeds[@]}" -- \
        "${args[@]}" >"logs/$t.log" 2>&1
    rc=$?
    set -e
    took=$(($(date +%s) - start))
    final="$(grep -E '^#[0-9]+[[:space:]]+DONE' "logs/$t.log" | tail -n 1 || true)"
    [[ -n "$final" ]] || final="$(grep -E '^#[0-9]+' "logs/$t.log" | tail -n 1 || true)"
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -n 1)"
    [[ -n "$execs" ]] || execs="$(sed -E -n 's/^#([0-9]+).*/\1/p' <<<"$final")"
    cov="$(sed -E -n 's/.* cov: ([0-9]+).*/\1/p' <<<"$final")"
    ft="$(sed -E -n 's/.* ft: ([0-9]+).*/\1/p' <<<"$final")"
    corp="$(sed -E -n 's/.* corp: ([0-9]+\/[0-9A-Za-z]+).*/\1/p' <<<"$final")"
    if [[ $rc -eq 0 ]]; then
        result="ok"
    else
        status=1
        kind="$(grep -oE 'ERROR: libFuzzer: [a-z-]+' "logs/$t.log" | head -n 1 | sed 's/ERROR: libFuzzer: //' || true)"
        unit="$(sed -n 's/.*Test unit written to //p' "logs/$t.log" | tail -n 1)"
        [[ $(ls "artifacts/$t" | wc -l) -gt $before ]] || unit="${unit:-no new artifact}"
        result="${kind:-exit $rc}: ${unit:-see fuzz/logs/$t.log}"
        grep -E '^(fuzz finding|dependency panic|thread .* panicked)' "logs/$t.log" | head -n 3 >&2 || true
    fi
    deps="$(grep -c '^dependency panic at' "logs/$t.log" || true)"
    [[ "$deps" -gt 0 ]] && result="$result ($deps dependency panic locations logged)"
    printf '%-17s %8s %12s %7s %7s %7s  %s\n' "$t" "$took" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$STAMP" "$t" "$took" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result" >>logs/summary.tsv
done
exit $status
