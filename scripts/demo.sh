#!/usr/bin/env bash
# The main demo: three throwaway lab hosts (podman containers with a real sshd), the demo
# play over SSH, then the same play again to show it changes nothing. Needs root for podman.
# Leaves the lab up for you to explore; `target/release/eov lab down --name demo` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/lab-setup.sh
cargo build --release --quiet
eov=target/release/eov
$eov lab down --name demo >/dev/null 2>&1 || true
$eov lab up 3 --name demo
echo; echo "== first run"
$eov run plays/hello.eov -i current/lab/demo/hosts -e hosts=lab --diff
echo; echo "== second run: nothing to change"
$eov run plays/hello.eov -i current/lab/demo/hosts -e hosts=lab
