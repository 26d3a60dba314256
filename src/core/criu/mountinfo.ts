// One perl reading of /proc/<pid>/mountinfo lines (proc(5)), for the scripts that run on a host:
// the freeze-first wrapper finds the freezer's mount there, a snapshot's config the tmpfs mounts.

/**
 * Perl: `$MOUNT_ENTRY->($line)` -> (root, mount point, fs type, super options), escaped as the
 * kernel writes them (`\040` for a space); () for a line without the separator before the fs type
 * (the optional fields before it vary in number).
 */
export const MOUNT_ENTRY = String.raw`
our $MOUNT_ENTRY = sub {
  my @f = split / /, $_[0]; my ($i) = grep { $f[$_] eq '-' } 6 .. $#f;
  defined $i ? (@f[3, 4], @f[$i + 1, $i + 3]) : ();
};
`
