#!/usr/bin/env bash
# Installs the AWS-side tools at versions checked to work together here, and the arm64 Rust std.
#
#   cargo-lambda + ziglang   cross-builds the bootstrap binaries (`cargo lambda build --release --arm64`)
#   aws-sam-cli              `sam build` (rust-cargolambda, beta), `sam validate --lint`, `sam deploy`
#   cfn-lint                 `cfn-lint template.yaml`
#   moto[server]             a local Secrets Manager endpoint for tests (`moto_server -p 5000`)
#
# Idempotent: packages already at the pinned versions are not reinstalled. Installs into the
# interpreter's site-packages when run as root or inside a virtualenv, into the user site otherwise
# (then ~/.local/bin must be on PATH). Needs no AWS account.
#
# The last line printed is LAMBDA_ARCH=arm64, or LAMBDA_ARCH=x86_64 when the aarch64 standard
# library could not be downloaded; the script exits 0 either way, so callers can do
#   arch="$(scripts/install-aws-tools.sh | tail -n 1)"; arch="${arch#LAMBDA_ARCH=}"
#   cargo lambda build --release "--${arch/_/-}"          # --arm64 or --x86-64
# All other output goes to stderr.
set -euo pipefail

PINS=(
    "cargo-lambda==1.9.2"
    "ziglang==0.17.1"
    "aws-sam-cli==1.170.0"
    "cfn-lint==1.58.0"
    "moto[server]==5.2.1"
)

log() { echo "install-aws-tools: $*" >&2; }

python="$(command -v python3 || command -v python || true)"
if [ -z "$python" ]; then
    log "python3 is not installed; it is needed for pip"
    exit 1
fi

# Which pins are missing or at another version? (extras such as [server] are checked by name only.)
missing=()
for pin in "${PINS[@]}"; do
    name="${pin%%==*}"
    name="${name%%\[*}"
    want="${pin##*==}"
    have="$("$python" -c 'import sys
from importlib.metadata import version, PackageNotFoundError
try: print(version(sys.argv[1]))
except PackageNotFoundError: print("")' "$name")"
    if [ "$have" != "$want" ]; then
        missing+=("$pin")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    log "pip packages already at the pinned versions"
else
    pip_args=(install --disable-pip-version-check --no-input)
    in_venv="$("$python" -c 'import sys; print(int(sys.prefix != sys.base_prefix))')"
    if [ "$(id -u)" != 0 ] && [ "$in_venv" = 0 ]; then
        pip_args+=(--user)
        case ":$PATH:" in
            *":$HOME/.local/bin:"*) ;;
            *) log "note: add \$HOME/.local/bin to PATH to reach cargo-lambda, sam and cfn-lint" ;;
        esac
    fi
    log "pip ${pip_args[*]} ${missing[*]}"
    started=$SECONDS
    # stdout to stderr too: the last line of stdout is reserved for LAMBDA_ARCH.
    "$python" -m pip "${pip_args[@]}" "${missing[@]}" >&2
    log "pip took $((SECONDS - started)) s"
fi

# SAM CLI would otherwise try to send telemetry (and print a banner) on first use.
export SAM_CLI_TELEMETRY=0

arch=arm64
target=aarch64-unknown-linux-gnu
if ! command -v rustup >/dev/null 2>&1; then
    log "rustup is not installed: cannot add $target; building for x86_64 instead"
    arch=x86_64
elif rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    log "rust std for $target already installed"
elif rustup target add "$target" >&2; then
    log "installed rust std for $target"
else
    log "COULD NOT DOWNLOAD the Rust standard library for $target (rustup target add failed)."
    log "arm64 Lambda binaries cannot be built on this machine; falling back to x86_64"
    log "(cargo lambda build --release --x86-64, and Architectures: [x86_64] for a deploy built here)."
    arch=x86_64
fi

echo "LAMBDA_ARCH=$arch"
