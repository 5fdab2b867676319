#!/usr/bin/env bash
# Installs what `eov lab` needs (podman, runc, debootstrap, ssh client) and, inside sandboxes
# that lack CAP_SYS_RESOURCE or run hybrid cgroups, the podman settings that make it work.
# Run as root. Safe to run again.
set -euo pipefail

need=()
for cmd in podman runc debootstrap ssh-keygen; do
  command -v "$cmd" >/dev/null 2>&1 || need+=("$cmd")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "lab-setup: installing podman runc debootstrap openssh-client"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap openssh-client >/dev/null
fi

# Probe: can podman start a container with its defaults? If not, apply the sandbox settings.
if ! podman info >/dev/null 2>&1 || ! grep -q cgroupfs /etc/containers/containers.conf 2>/dev/null; then
  if [ ! -e /sys/fs/cgroup/cgroup.controllers ] || ! ulimit -Hn 1048576 2>/dev/null; then
    echo "lab-setup: writing /etc/containers/containers.conf (runc, cgroupfs, fixed ulimits) for this sandbox"
    mkdir -p /etc/containers
    cat > /etc/containers/containers.conf <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
  fi
fi
echo "lab-setup: ready (podman $(podman --version | awk '{print $3}'))"
