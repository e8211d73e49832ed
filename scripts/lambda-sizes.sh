#!/usr/bin/env bash
# Prints a Markdown table of every built Lambda bootstrap's size, raw and zipped (what Lambda stores).
#
# Run after `cargo lambda build --release --arm64` (or --x86-64). Reads target/lambda/<binary>/bootstrap
# under the cargo target directory ($CARGO_TARGET_DIR, else ./target from the workspace root), or the
# directory given as the first argument, e.g. scripts/lambda-sizes.sh /tmp/other-target/lambda
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lambda_dir="${1:-${CARGO_TARGET_DIR:-$root/target}/lambda}"

shopt -s nullglob
binaries=("$lambda_dir"/*/bootstrap)
if [ ${#binaries[@]} -eq 0 ]; then
    echo "no bootstrap binaries under $lambda_dir; run: cargo lambda build --release --arm64" >&2
    exit 1
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# Zip the way Lambda deployment packages are made (deflate, maximum compression), with zip(1) when
# it is installed and Python's zipfile otherwise.
zipped_size() {
    local binary="$1" out
    out="$scratch/$(basename "$(dirname "$1")").zip"
    rm -f "$out"
    if command -v zip >/dev/null 2>&1; then
        (cd "$(dirname "$binary")" && zip -q -9 "$out" bootstrap)
    else
        python3 - "$binary" "$out" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.write(sys.argv[1], "bootstrap")
PY
    fi
    stat -c %s "$out"
}

mib() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1048576 }'; }

arch="$(file -b "${binaries[0]}" 2>/dev/null | grep -o -E 'aarch64|x86-64' | head -1 || true)"
echo "Bootstrap sizes in \`$lambda_dir\`${arch:+ ($arch)}:"
echo
echo "| function | bootstrap (bytes) | bootstrap (MiB) | zipped (bytes) | zipped (MiB) |"
echo "|---|---:|---:|---:|---:|"
total_raw=0
total_zip=0
for binary in "${binaries[@]}"; do
    name="$(basename "$(dirname "$binary")")"
    raw="$(stat -c %s "$binary")"
    zip_bytes="$(zipped_size "$binary")"
    total_raw=$((total_raw + raw))
    total_zip=$((total_zip + zip_bytes))
    echo "| $name | $raw | $(mib "$raw") | $zip_bytes | $(mib "$zip_bytes") |"
done
echo "| **total (${#binaries[@]})** | $total_raw | $(mib "$total_raw") | $total_zip | $(mib "$total_zip") |"
