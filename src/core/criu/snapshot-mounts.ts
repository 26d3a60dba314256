// A pre-copy snapshot without the container's tmpfs contents. CRIU archives every tmpfs mount of
// the container while the game is frozen: a `tar --create --gzip` process (and its gzip) per
// mount, ~20 ms each on the lab's two cores, four mounts in runc's default spec (/dev, /dev/shm,
// /tmp and the empty read-only tmpfs that masks /proc/acpi, /sys/firmware and the like). A
// snapshot is never restored: it only pre-sends the game's memory, and the final dump, which does
// archive them, is the image that gets restored. So a snapshot names those mounts external in a
// CRIU config file (`external mnt[<mountpoint>]:<key>`, criu/mount.c try_resolve_ext_mount): CRIU
// keeps them in the mount tree, so open files and cwds there still dump, but does not archive
// them. CRIU reads the file named by CRIU_CONFIG_FILE when it starts, and runc, crun (libcriu) and
// podman start it with their own environment. The final delta then sends the four small archives
// whole (98-370 bytes each on the lab).
// Measured on the lab's game, three pairs of `runc checkpoint --leave-running` back to back: CRIU
// froze the game 136-148 ms with the archives, 75-78 ms without.

import { MOUNT_ENTRY } from './mountinfo'

/** The key those mounts get in the snapshot's image: says where the entry came from. */
export const SNAPSHOT_MOUNT_KEY = 'globehop-snapshot'

/**
 * Perl, $MOUNT_ENTRY included: `$SNAPSHOT_MOUNTS->($pid, $conf)` writes `$conf` (creating its
 * directory), CRIU's config naming every tmpfs mount of process `$pid`'s mount namespace external
 * (mount points as that process sees them; odd ones, with escapes, spaces or brackets, are left to
 * be archived), keeps the lines of a CRIU_CONFIG_FILE already set, and points CRIU_CONFIG_FILE at
 * it. Returns how many mounts it named; 0 (and the environment as it was) when there are none or
 * it cannot.
 */
export const SNAPSHOT_MOUNTS = MOUNT_ENTRY + String.raw`
our $SNAPSHOT_MOUNTS = sub {
  my ($pid, $conf) = @_; my @mp;
  open(my $m, '<', "/proc/$pid/mountinfo") or return 0;
  while (my $l = <$m>) {
    chomp $l; my (undef, $at, $type) = $MOUNT_ENTRY->($l);
    next unless defined $type && $type eq 'tmpfs' && $at ne '/' && $at =~ m{^/[A-Za-z0-9._/+\@:-]+$};
    push @mp, $at;
  }
  close $m;
  return 0 unless @mp;
  my $kept = '';
  if (defined $ENV{CRIU_CONFIG_FILE} && open(my $o, '<', $ENV{CRIU_CONFIG_FILE})) { local $/; $kept = <$o> // ''; close $o; $kept .= "\n" if $kept =~ /[^\n]\z/ }
  (my $dir = $conf) =~ s{/[^/]*\z}{}; mkdir $dir if $dir ne '' && !-d $dir;
  open(my $c, '>', $conf) or return 0;
  print $c $kept, map { "external mnt[$_]:KEY\n" } @mp;
  close $c or return 0;
  $ENV{CRIU_CONFIG_FILE} = $conf;
  scalar @mp;
};
`.replace('KEY', SNAPSHOT_MOUNT_KEY)

/** The config file's name in the snapshot's work dir (kept with its logs). */
export const SNAPSHOT_CRIU_CONF = 'criu-snapshot.conf'
