#!/usr/bin/env bash
# Runs every check and test of eov, installing what they need. CI runs this via .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v rustup >/dev/null 2>&1; then
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi

# The lab tests need podman and debootstrap (real sshd in containers).
if [ "$(id -u)" = 0 ]; then
  bash scripts/lab-setup.sh
else
  echo "note: not root; the lab tests need root for podman (run scripts/lab-setup.sh as root)"
fi

echo "== cargo fmt --check"
cargo fmt --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --locked
echo "== cargo test: the tree-sitter grammar (editors/tree-sitter-eov, its own workspace)"
cargo test --locked --manifest-path editors/tree-sitter-eov/Cargo.toml
