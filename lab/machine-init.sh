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
mount --rbind /dev "$merged/dev"
mount -t tmpfs -o mode=755 tmpfs "$merged/run"
mount -t tmpfs -o mode=1777 tmpfs "$merged/tmp"
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
