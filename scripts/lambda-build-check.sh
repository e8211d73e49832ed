#!/usr/bin/env bash
# CI check that the Lambda binaries cross-build for arm64 (what template.yaml deploys), are the
# right architecture and stay small.
#
#   scripts/lambda-build-check.sh
#
# 1. scripts/install-aws-tools.sh: cargo-lambda + zig, the aarch64 Rust std; its last line says
#    LAMBDA_ARCH=arm64, or x86_64 when the aarch64 std could not be downloaded.
# 2. cargo lambda build --release --arm64 for one task function and one auth function (the two
#    dependency sets: the auth one adds argon2/scrypt). When the aarch64 std could not be
#    fetched it says so and builds --x86-64 instead; a failed build with the target present fails.
# 3. Each bootstrap exists, is an ELF for the expected machine (read from its header), and is at
#    most MAX_BOOTSTRAP_BYTES (default below: the sizes measured in docs/performance.md plus about
#    10 %: ordinary growth passes, a new TLS stack or the AWS SDK's default features — +2.5 MB —
#    does not).
# 4. Prints the sizes table (scripts/lambda-sizes.sh) of the binaries it built.
#
# Takes as long as a release build: 13-27 min for arm64 and 15 min for the x86_64 fallback from a
# cold cache on 2 busy cores, about 4 min when only the workspace crates changed (two fat-LTO
# links), 5 s when nothing did.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BINS=(get-task sign-in-email)
# Measured with the release profile of Cargo.toml (cargo lambda build): arm64 get-task 14 873 544
# bytes, sign-in-email 14 410 216; x86_64 get-task 17 591 400, sign-in-email 17 047 672.
MAX_ARM64_BYTES=16500000
MAX_X86_64_BYTES=19500000

log() { echo "lambda-build-check: $*"; }
started_at=$SECONDS

arch_line="$(bash scripts/install-aws-tools.sh | tail -n 1)"
case "$arch_line" in
  LAMBDA_ARCH=arm64) arch=arm64 ;;
  LAMBDA_ARCH=x86_64) arch=x86_64 ;;
  *) log "scripts/install-aws-tools.sh printed '$arch_line', not LAMBDA_ARCH=arm64|x86_64"; exit 1 ;;
esac
# pip --user puts cargo-lambda in ~/.local/bin, which may not be on PATH yet.
command -v cargo-lambda >/dev/null || export PATH="$HOME/.local/bin:$PATH"

if [ "$arch" = arm64 ]; then
  flag=--arm64
  machine=183 # EM_AARCH64
  file_arch=aarch64
  MAX_BOOTSTRAP_BYTES=${MAX_BOOTSTRAP_BYTES:-$MAX_ARM64_BYTES}
else
  echo "aarch64 std could not be fetched; building x86_64 instead"
  flag=--x86-64
  machine=62 # EM_X86_64
  file_arch=x86-64
  MAX_BOOTSTRAP_BYTES=${MAX_BOOTSTRAP_BYTES:-$MAX_X86_64_BYTES}
fi

build_args=(--release "$flag")
for bin in "${BINS[@]}"; do build_args+=(--bin "$bin"); done
log "cargo lambda build ${build_args[*]}"
build_started=$SECONDS
if ! cargo lambda build "${build_args[@]}"; then
  log "FAILED: cargo lambda build ${build_args[*]} (the $arch target is installed, so this is a real failure)"
  exit 1
fi
log "build took $((SECONDS - build_started)) s"

target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
checked="$(mktemp -d)"
trap 'rm -rf "$checked"' EXIT
failed=0
for bin in "${BINS[@]}"; do
  bootstrap="$target_dir/lambda/$bin/bootstrap"
  if [ ! -f "$bootstrap" ]; then
    log "FAIL $bin: no $bootstrap"
    failed=1
    continue
  fi
  # e_machine is the little-endian u16 at offset 18 of a 64-bit little-endian ELF header.
  found="$(python3 - "$bootstrap" <<'PY'
import struct, sys
with open(sys.argv[1], "rb") as f:
    header = f.read(20)
if len(header) < 20 or header[:4] != b"\x7fELF":
    print("not-elf")
elif header[4] != 2 or header[5] != 1:
    print("not-elf64-le")
else:
    print(struct.unpack_from("<H", header, 18)[0])
PY
)"
  size="$(stat -c %s "$bootstrap")"
  if [ "$found" != "$machine" ]; then
    log "FAIL $bin: ELF machine $found, want $machine ($file_arch): $(file -b "$bootstrap" 2>/dev/null || true)"
    failed=1
  elif [ "$size" -gt "$MAX_BOOTSTRAP_BYTES" ]; then
    log "FAIL $bin: $size bytes, over the bound of $MAX_BOOTSTRAP_BYTES (MAX_BOOTSTRAP_BYTES)"
    failed=1
  else
    log "ok $bin: $file_arch ELF, $size bytes (bound $MAX_BOOTSTRAP_BYTES)"
  fi
  mkdir -p "$checked/$bin"
  cp "$bootstrap" "$checked/$bin/bootstrap"
done

echo
bash "$ROOT/scripts/lambda-sizes.sh" "$checked"
echo
if [ $failed -ne 0 ]; then
  log "FAILED after $((SECONDS - started_at)) s"
  exit 1
fi
log "ok ($arch) in $((SECONDS - started_at)) s"
