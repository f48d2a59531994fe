#!/usr/bin/env bash
# Runs fuzz targets one after another, each for a set time on one core, and prints a summary
# line per target (executions, seconds, final coverage, crash artifacts) from libFuzzer's log.
#
#   bash fuzz/campaign.sh SECONDS TARGET...        e.g. bash fuzz/campaign.sh 420 decode_wav decode_mp3
#
# Corpora grow in fuzz/corpus/<target>/ (not committed); logs go to fuzz/logs/<target>.log;
# crashes to fuzz/artifacts/<target>/. Options as in fuzz/README.md.
#
# FUZZ_SANITIZER (default address) picks cargo-fuzz's sanitizer: `none` runs the same coverage
# instrumentation without AddressSanitizer, several times faster, for long coverage runs (a
# panic, timeout or OOM is still caught; out-of-bounds access inside `unsafe` code is not).
# FUZZ_TARGET_DIR keeps that build apart from the AddressSanitizer one.
#
# Dictionaries (libFuzzer's -dict: container magic, chunk and box ids, codec ids) come from
# dicts/: dicts/<ext>.dict for decode_<ext>, all of them merged for analyze_bytes.
# FUZZ_DICT=none runs without, as the runs before the twelfth did.
set -u
use_dict=${FUZZ_DICT:-yes}
sanitizer=${FUZZ_SANITIZER:-address}
target_dir_args=()
[ -n "${FUZZ_TARGET_DIR:-}" ] && target_dir_args=(--target-dir "$FUZZ_TARGET_DIR")
cd "$(dirname "$0")"
secs=$1; shift
mkdir -p logs
for t in "$@"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    max_len=65536
    [ "$t" = manifest ] && max_len=4096
    [ "$t" = mp4_edit_list ] && max_len=16384
    dict_args=()
    if [ "$use_dict" != none ]; then
        case "$t" in
            decode_*) [ -f "dicts/${t#decode_}.dict" ] && dict_args=(-dict="dicts/${t#decode_}.dict") ;;
            analyze_bytes) cat dicts/*.dict >"logs/$t.dict" && dict_args=(-dict="logs/$t.dict") ;;
        esac
    fi
    start=$(date +%s)
    cargo +nightly fuzz run -O -s "$sanitizer" "${target_dir_args[@]}" "$t" "corpus/$t" "seeds/$t" -- \
        "${dict_args[@]}" -max_len=$max_len -len_control=0 -timeout=10 -rss_limit_mb=2048 -max_total_time="$secs" \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"logs/$t.log" 2>&1
    rc=$?
    end=$(date +%s)
    last=$(grep -E '^#[0-9]+' "logs/$t.log" | tail -1)
    execs=$(grep -E '^stat::number_of_executed_units' "logs/$t.log" | awk '{print $2}')
    peak=$(grep -E '^stat::peak_rss_mb' "logs/$t.log" | awk '{print $2}')
    newcov_last=$(grep -E '^#[0-9]+.*(NEW|REDUCE)' "logs/$t.log" | tail -1 | sed -E 's/.*(cov: [0-9]+ ft: [0-9]+).*/\1/')
    last_new_t=$(grep -E '^#[0-9]+.*NEW' "logs/$t.log" | tail -1 | awk '{print $1}')
    crashes=$(ls "artifacts/$t" | wc -l)
    echo "$t rc=$rc secs=$((end - start)) execs=${execs:-?} peak_rss_mb=${peak:-?} artifacts=$crashes last_new=${last_new_t:-none} final: ${last}"
done
