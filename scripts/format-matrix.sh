#!/usr/bin/env bash
# Opt-in check (not in CI; needs ffmpeg): encodes 30 s of a real recording into every supported
# format and checks that each decodes to the same duration (within one codec frame) and to a
# signal correlating > 0.99 with the WAV after alignment, lossless ones sample-identical.
#   scripts/format-matrix.sh [SOURCE_AUDIO]
# Default source: ../shared/evaldata/real_examples/audio/Kevin_MacLeod_-_Vibe_Ace.hq.ogg
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${1:-../shared/evaldata/real_examples/audio/Kevin_MacLeod_-_Vibe_Ace.hq.ogg}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
ff -ss 10 -t 30 -i "$SRC" -ar 44100 -ac 2 -c:a pcm_s16le "$OUT/s16.wav"
ff -i "$OUT/s16.wav" -c:a pcm_s24le "$OUT/s24.wav"
ff -i "$OUT/s16.wav" -c:a pcm_s32le "$OUT/s32.wav"
ff -i "$OUT/s16.wav" -c:a pcm_f32le "$OUT/f32.wav"
ff -i "$OUT/s16.wav" -c:a flac "$OUT/s16.flac"
ff -i "$OUT/s16.wav" -c:a pcm_s16be "$OUT/s16.aiff"
ff -i "$OUT/s16.wav" -c:a alac "$OUT/s16_alac.m4a"
ff -i "$OUT/s16.wav" -c:a libmp3lame -b:a 192k "$OUT/mp3.mp3"
ff -i "$OUT/s16.wav" -c:a libvorbis -q:a 5 "$OUT/vorbis.ogg"
ff -i "$OUT/s16.wav" -c:a aac -b:a 192k "$OUT/aac.m4a"
ff -i "$OUT/s16.wav" -c:a aac -b:a 192k -f adts "$OUT/aac_adts.aac"
AA_FORMAT_MATRIX_DIR="$OUT" cargo test --release -p analyzer-core --test decode -- --ignored --nocapture real_recording_format_matrix
cargo run --release -q -p analyzer-benches --bin xrealtime -- "$OUT"/*
