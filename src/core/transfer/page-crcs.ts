// Per-page CRC tables of an rsync-tracked snapshot's pages files, made on both hosts while the game
// still runs: zlib's CRC-32 of every 4 KiB page and of every whole MiB. With them the final
// delta's CRC of a pages file comes from the pages that changed alone (page-delta.ts): the source
// CRCs the pages it sends, the destination the pages it patches, and both fold the rest in from
// their table with crc32_combine. Before, a cksum process read the whole 95 MB file on each host
// while the game was frozen: started beside CRIU on the source, once the last record was in on the
// destination (its verify then took 17 ms after the stream's end, lab, shaping off).
// A table belongs to one file as it was: device, inode, size and nanosecond times. rsync writes a
// file anew (another inode) and the destination's patch moves its times, so a stale table is never
// read; a file without a valid table is summed whole, as before.

/** Perl: reading a table and folding a file's CRC out of it (needs Compress::Raw::Zlib). */
export const PAGE_CRCS = String.raw`
# What a table is of: the file's device, inode, size, modification and change time (ns), or ''.
sub crc_stamp { eval { require Time::HiRes; 1 } or return ''; my @s = Time::HiRes::stat($_[0]) or return ''; join(' ', @s[0, 1, 7, 9, 10]) }
# (The table file, the file it is of) -> [its pages' CRCs, its MiBs' CRCs] (packed u32 LE), or undef
# where there is none, it is of another file, or the file changed since.
sub crc_table {
  my ($t, $f) = @_; eval { require Compress::Raw::Zlib; 1 } or return undef;
  open(my $h, '<:raw', $t) or return undef; local $/; my $d = <$h> // ''; close $h;
  my $i = index($d, "\n"); return undef if $i < 0; my $st = crc_stamp($f);
  return undef unless $st ne '' && substr($d, 0, $i) eq "globehop-crcs $st";
  my $np = int((split(' ', $st))[2] / 4096); my $ng = int($np / 256);
  return undef unless length($d) == $i + 1 + 4 * ($np + $ng);
  [substr($d, $i + 1, 4 * $np), substr($d, $i + 1 + 4 * $np)];
}
# The CRC of the file open on $fh, $size bytes long, whose whole pages are the table's but for those
# in %$ov (page number -> its CRC now); its last piece short of a page is read. undef where a page
# is in neither. A MiB with no changed page is one combine, one with a change a combine per page: for
# 98 MB on this machine 0.1 ms with no page changed, 5 ms with 80 at random, 8 ms with 1000 (every
# MiB had one), where a pass over the file is what it spares.
sub crc_fold {
  my ($tab, $ov, $size, $fh) = @_; my $np = int($size / 4096); my $tp = length($tab->[0]) / 4; my $tg = length($tab->[1]) / 4;
  my %dirty; $dirty{$_ >> 8} = 1 for keys %$ov;
  my $c = 0;
  for (my $p = 0; $p < $np;) {
    my $g = $p >> 8;
    if (!($p & 255) && $g < $tg && $p + 256 <= $np && !$dirty{$g}) { $c = Compress::Raw::Zlib::crc32_combine($c, unpack('V', substr($tab->[1], 4 * $g, 4)), 1 << 20); $p += 256; next }
    my $pc = $ov->{$p} // ($p < $tp ? unpack('V', substr($tab->[0], 4 * $p, 4)) : return undef);
    $c = Compress::Raw::Zlib::crc32_combine($c, $pc, 4096); $p++;
  }
  if (my $r = $size % 4096) { sysseek($fh, $np * 4096, 0) or return undef; (sysread($fh, my $x, $r) // -1) == $r or return undef; $c = Compress::Raw::Zlib::crc32($x, $c) }
  $c;
}
# zlib's CRC-32 of the whole file open on $fh, read a MiB at a time (where there is no table).
sub crc_whole {
  my ($fh) = @_; my $c = 0; sysseek($fh, 0, 0) or die "seek: $!\n";
  while (1) { my $r = sysread($fh, my $x, 1 << 20); die "read: $!\n" unless defined $r; last unless $r; $c = Compress::Raw::Zlib::crc32($x, $c) }
  $c;
}
`

/**
 * `perl -e CRC_TABLES DIR` writes DIR.crc/<name> for each pages-*.img in DIR (aside, then renamed),
 * at nice 10: the game runs beside it. Without zlib's module or Time::HiRes it writes nothing and
 * says why; the delta then sums those files whole.
 */
export const CRC_TABLES = String.raw`
use strict; my ($dir) = @ARGV; setpriority(0, 0, 10);
PAGE_CRCS
unless (eval { require Compress::Raw::Zlib; require Time::HiRes; 1 }) { print "globehop-crcs: none (this perl lacks Compress::Raw::Zlib or Time::HiRes)\n"; exit 0 }
my $out = "$dir.crc"; -d $out or mkdir $out or die "$out: $!\n";
# Tables of files gone or remade go first: a table is only ever read with its own stamp, but a
# snapshot's old ones serve no one.
opendir(my $o, $out) or die "$out: $!\n"; for (grep { !/^\.\.?$/ } readdir $o) { unlink "$out/$_" or die "$out/$_: $!\n" } closedir $o;
opendir(my $d, $dir) or die "$dir: $!\n"; my @p = sort grep { /^pages-\d+\.img$/ } readdir $d; closedir $d;
my ($files, $pages) = (0, 0);
for my $n (@p) {
  my $f = "$dir/$n"; my $st = crc_stamp($f); open(my $h, '<:raw', $f) or die "$f: $!\n";
  my ($pc, $gc) = ('', '');
  while (1) {
    # A whole MiB (or the file's end), so each MiB's CRC is of an aligned MiB.
    my $x = ''; while (length $x < 1 << 20) { my $r = sysread($h, $x, (1 << 20) - length $x, length $x); die "$f: $!\n" unless defined $r; last unless $r }
    last unless length $x;
    my ($np, $g) = (int(length($x) / 4096), 0);
    for my $i (0 .. $np - 1) { my $c = Compress::Raw::Zlib::crc32(substr($x, $i * 4096, 4096)); $pc .= pack('V', $c); $g = Compress::Raw::Zlib::crc32_combine($g, $c, 4096) }
    $gc .= pack('V', $g) if $np == 256;
    last if length $x < 1 << 20;
  }
  close $h;
  # Written to while we read (it should not be): no table.
  next unless $st ne '' && crc_stamp($f) eq $st;
  open(my $t, '>:raw', "$out/.$n.part") or die "$out: $!\n"; print $t "globehop-crcs $st\n", $pc, $gc; close $t or die "$out: $!\n";
  rename("$out/.$n.part", "$out/$n") or die "$out/$n: $!\n";
  $files++; $pages += length($pc) / 4;
}
print "globehop-crcs: $files files $pages pages\n";
`.replace('PAGE_CRCS', () => PAGE_CRCS)

/** The command that makes DIR's tables (DIR.crc beside it). */
export function crcTablesArgv(dir: string): string[] {
  return ['perl', '-e', CRC_TABLES, '--', dir]
}

/** Where DIR's tables are. */
export function crcTableDir(dir: string): string {
  return `${dir}.crc`
}

/** The `globehop-crcs:` line: how many files and pages got a table (0 where there was no module). */
export function parseCrcTables(stdout: string): { files: number; pages: number } {
  const m = /globehop-crcs: (\d+) files (\d+) pages/.exec(stdout)
  return m ? { files: Number(m[1]), pages: Number(m[2]) } : { files: 0, pages: 0 }
}
