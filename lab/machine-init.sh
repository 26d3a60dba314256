#!/bin/sh
# globehop lab: turns a fresh set of namespaces into a machine. Runs as PID 1 of the
# machine's new PID namespace (started by `unshare --pid --fork` inside `ip netns exec`),
# in a private mount namespace, so nothing mounted here is visible outside or outlives it.
#   machine-init.sh NAME LOWERDIRS UPPER WORK MERGED FILES [BUNDLE_LOWER BUNDLE_UPPER BUNDLE_WORK BUNDLE_PATH]
set -eu
name=$1 lower=$2 upper=$3 work=$4 merged=$5 files=$6

hostname "$name"
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$upper,workdir=$work" "$merged"
mount -t proc proc "$merged/proc"
mount -t sysfs sysfs "$merged/sys"
# runc creates container cgroups in the real tree (no cgroup namespace): relative cgroupsPaths
# resolve under this machine's own cgroup, which the launcher joined before unshare.
mount --rbind /sys/fs/cgroup "$merged/sys/fs/cgroup"
# runc puts the cgroup-v2 (unified) part of a hybrid layout at an absolute path under the mount,
# whatever cgroupsPath says: give this machine its own subtree there, as a real host has.
for f in ${GLOBEHOP_CGROUP_PROCS:-}; do
  case "$f" in
    /sys/fs/cgroup/unified/*) mount --bind "${f%/cgroup.procs}" "$merged/sys/fs/cgroup/unified" ;;
  esac
done
mount --rbind /dev "$merged/dev"
mount -t tmpfs -o mode=755 tmpfs "$merged/run"
mount -t tmpfs -o mode=1777 tmpfs "$merged/tmp"
# Podman's storage on a tmpfs of its own: the kernel's overlayfs (podman's graph driver) cannot
# use the machine's overlay root as its upper layer.
mkdir -p "$merged/var/lib/containers"
mount -t tmpfs -o mode=700 tmpfs "$merged/var/lib/containers"
# One image store for every machine (storage.conf's additionalimagestores): the game's image is
# imported once and has the same ID everywhere, as `podman container restore --import` requires.
if [ -n "${GLOBEHOP_IMAGE_STORE:-}" ]; then
  mkdir -p "$merged/var/lib/globehop-images"
  mount --bind "$GLOBEHOP_IMAGE_STORE" "$merged/var/lib/globehop-images"
fi
if [ $# -ge 10 ]; then
  # A user-supplied bundle (--bundle): its own overlay, so this host's changes stay here.
  mkdir -p "$merged${10}"
  mount -t overlay overlay -o "lowerdir=$7,upperdir=$8,workdir=$9" "$merged${10}"
fi
# Per-machine files: host key, authorized_keys, keepalived.conf, track file, hosts...
cp -a "$files/." "$merged/"

cd "$merged"
mkdir -p .oldroot
pivot_root . .oldroot
cd /
umount -l /.oldroot
rmdir /.oldroot
exec /usr/bin/tini -s -- /bin/sh /etc/globehop/boot.sh
