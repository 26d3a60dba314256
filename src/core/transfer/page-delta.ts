// The final delta of rsync-tracked pre-copy in one pass, one way. The source holds the snapshot it
// last sent (the destination's image dir holds the same bytes), so it finds the changed 4 KiB
// pages locally by comparing at equal offsets and streams only those (XORed with the old page,
// which leaves mostly zeros), compressed, over the open host-to-host ssh; the destination patches
// its copy in place as they arrive. No rsync checksum
// exchange, no round trip per file, no rolling checksum over the whole image on either host.
// CRIU writes pages-*.img in pagemap order, and the pagemap stayed byte-identical between dumps
// of the lab's game 12 s apart, so equal offsets hold equal pages; if the layout shifts, more
// pages differ and more bytes go out, but the result is still exact (a file that grew or shrank
// is compared over the common part). In the tail chain the sender compares each pages file with its
// basis as CRIU appends to it, and sends those records once CRIU's line says its last task is
// written, if the memory layout held. Then the destination checks
// size and CRC of every file against the source's list before anyone restores: POSIX cksum's, or
// zlib's CRC-32 in the tail chain where both ends' perl has zlib's module (page-crcs.ts for pages files).
// Plain perl (Debian's perl-base, everywhere rsync runs), gzip and cksum: no tool to install.
import { quoteArgv, shNeutralCommand } from '../ssh/quote'
import { PAGE_CRCS } from './page-crcs'

// POSIX cksum's CRC (byte for byte what cksum(1) prints) of the image's small files, in the
// process: a cksum process's start cost 20-46 ms on the lab's loaded cores, where it was the last
// thing the sender waited for after CRIU finished (and the receiver after the stream's end), while
// the lab game's 20 small files (24 KB) take ~5 ms here. The smallest files go first, up to 64 KiB
// in all; the rest (the game's memory) still go to cksum, started early beside the scan. (Put in
// with a function: a replacement string would read perl's $& or $' as its own patterns.)
export const CKSUM_SMALL = String.raw`
my @CT; for my $i (0 .. 255) { my $c = $i << 24; for (1 .. 8) { $c = $c & 0x80000000 ? (($c << 1) ^ 0x04C11DB7) & 0xFFFFFFFF : ($c << 1) & 0xFFFFFFFF } $CT[$i] = $c }
# The names -> (the ones summed here, the rest): the smallest first, up to 64 KiB in all.
sub small_first { my ($k, @in, @out) = (0); for (sort { -s $a <=> -s $b || $a cmp $b } @_) { if ($k + -s $_ <= 65536) { $k += -s $_; push @in, $_ } else { push @out, $_ } } (\@in, \@out) }
sub cksum_line {
  my ($n) = @_; open(my $h, '<:raw', $n) or die "$n: $!\n"; local $/; my $d = <$h> // ''; close $h;
  my $c = 0; $c = (($c << 8) & 0xFFFFFFFF) ^ $CT[($c >> 24) ^ $_] for unpack('C*', $d);
  for (my $l = length $d; $l; $l >>= 8) { $c = (($c << 8) & 0xFFFFFFFF) ^ $CT[($c >> 24) ^ ($l & 0xFF)] }
  ((~$c) & 0xFFFFFFFF) . ' ' . length($d) . " $n\n";
}
`

// zlib's CRC-32 (Compress::Raw::Zlib, loaded by whoever needs it) of $c's bytes followed by $len
// zero bytes: a page of zeros folded in at a time (crc32_combine: ~0.1 us each, so the lab game's
// 38 MB of zero pages cost ~1 ms, not a 38 MB pass).
const ZERO_CRC = String.raw`
my $ZPAGE;
sub zeros {
  my ($c, $len) = @_; $ZPAGE //= Compress::Raw::Zlib::crc32("\0" x 4096);
  for (; $len >= 4096; $len -= 4096) { $c = Compress::Raw::Zlib::crc32_combine($c, $ZPAGE, 4096) }
  $len ? Compress::Raw::Zlib::crc32("\0" x $len, $c) : $c;
}
`

// A "sent" line (progress, and proof of life for the stall watch) every 256 KiB, but no more than
// one per 50 ms where perl has a clock (Time::HiRes; perl-base has none): each line is an event
// through the engine, and on a fast link 256 KiB go by in well under a millisecond. Lab, 16
// stop-and-copy hops, shaping off (~220 lines a hop at 256 KiB): the engine's CPU per hop had a
// median of 102 ms, and 70 ms with a line per 8 MiB, on the two cores the stream shares with CRIU.
const SENT_LINE = String.raw`
my $SL_CLOCK = eval { require Time::HiRes; \&Time::HiRes::time }; my $SL_AT = -1;
sub sent_line {
  return 0 if $SL_CLOCK && $SL_CLOCK->() - $SL_AT < 0.05;
  syswrite(STDERR, "globehop-delta: sent $_[0]\n"); $SL_AT = $SL_CLOCK->() if $SL_CLOCK; 1;
}
`

/** Source side: `perl -e SENDER IMG BASIS` writes the stream to stdout, figures to stderr. */
export const SENDER = String.raw`
use strict; my ($img, $base, $lead) = @ARGV; my $B = 4096; my $C = 1 << 20; $| = 1;
# A 1 MiB pipe (F_SETPIPE_SZ) to what reads the stream: fewer wake-ups between us and ssh; 100 MB
# of the lab game's image to its destination took 178 ms so against 208 (medians of 6, shaping
# off, with the counter below gone too).
fcntl(STDOUT, 1031, $C);
# Uncompressed, the stream's bytes are the wire's: we count them ourselves (COUNT's lines) and
# spare the stream a pass through one more process.
my ($wire, $next, $counting) = (0, 262144, ($ENV{GLOBEHOP_COUNT} // '') eq '1');
SENT_LINE
# The records gather here and leave 256 KiB at a time, and whenever the sender is about to wait
# (for CRIU, for a cksum) or ends. perl's own buffered print wrote 8 KiB per write(2), each a wake-up
# of ssh: a 95 MB image (57 MB sent, lab, shaping off) crossed in a median of 209 ms so, 192 ms this way.
my $ob = '';
sub put_out {
  for (my $o = 0; $o < length $_[0];) { my $w = syswrite(STDOUT, $_[0], length($_[0]) - $o, $o); die "stream: $!\n" unless defined $w; $o += $w }
  return unless $counting; $wire += length $_[0];
  $next = $wire + 262144 if $wire >= $next && sent_line($wire);
}
sub oflush { put_out($ob); $ob = '' }
# (A piece of 64 KiB or more goes out as it is, after what gathered before it: not copied again.)
sub out { for (@_) { if (length >= 65536) { oflush(); put_out($_) } else { $ob .= $_ } } oflush() if length $ob >= 262144 }
CKSUM_SMALL
# The image's files as they are now: plain files with plain names.
sub files {
  opendir(my $d, '.') or die "$!\n"; my @f = sort grep { !/^\.\.?$/ } readdir $d; closedir $d;
  for (@f) { die "not a plain file in the image: $_\n" if -l $_ || !-f $_; die "odd file name: $_\n" if /[\s\\]/ }
  @f;
}
binmode STDOUT; my ($total, $sent, $pages, $whole, $holes) = (0, 0, 0, 0, 0); my (%vnew, %vold);
ZERO_CRC
# Asked for it (the tail chain, whose receiver said it has zlib's module too), a file that goes whole
# carries its CRC along: zlib's CRC-32 of its bytes as they are read for the stream, a run of zero
# pages folded in without a pass over it. No cksum process reads it again afterwards: where one did,
# the source's CRC of a stop-and-copy's 95 MB pages file came 20 ms after its last byte left, and the
# destination's 10-30 ms after its last byte arrived (lab, shaping off).
my $ZC = ($ENV{GLOBEHOP_ZCRC} // '') eq '1' && eval { require Compress::Raw::Zlib; 1 };
my ($zcur, %zsum);
# The start and end of a file sent whole: its N line (with z when its CRC comes along) and its E line.
sub whole_start { out $ZC ? "N $_[0] z\n" : "N $_[0]\n"; $zcur = 0 if $ZC }
sub whole_end { my ($n, $size) = @_; if (defined $zcur) { $zsum{$n} = "z $zcur $size $n\n"; undef $zcur } out "E\n" }
PAGE_CRCS
# A pages file compared with its basis carries its CRC too where the basis has a valid table
# (page-crcs.ts, made while the game ran): the CRCs of the pages that changed, the rest folded in.
my %ztab;
sub ztab { my ($n) = @_; return undef unless $ZC; $ztab{$n} //= crc_table("$base.crc/$n", "$base/$n") // 0; $ztab{$n} || undef }
# Whether a file compared with its basis carries its CRC (its P or R line ends in z): with a table, or
# small enough to sum in here at once (zlib's CRC in C: the 20 small files of the lab game, 24 KB,
# took ~5 ms on each host in perl's cksum loop). A big one without a table goes to cksum, started
# early beside the scan.
sub zwill { my ($n) = @_; $ZC && (ztab($n) || -s $n < 1 << 20) }
sub zmark { zwill($_[0]) ? " z\n" : "\n" }
# The z line of a file compared with its basis: folded with the changes in %$ov, else summed whole.
sub zline {
  my ($n, $ov, $fh) = @_; my $own = !$fh; if ($own) { open($fh, '<:raw', $n) or die "$n: $!\n" }
  my $size = -s $fh; my $t = $ov && ztab($n); my $c = $t ? crc_fold($t, $ov, $size, $fh) : undef; $c //= crc_whole($fh);
  close $fh if $own; "z $c $size $n\n";
}
# The early scan and its cksum run at nice 10 while CRIU still dumps; the moment its log says it
# finished (looked at once per MiB scanned) they get the CPU back at nice 0. Where they only went
# back after the scan, it ran on at nice 10 for 40-65 ms past CRIU's end on the lab's two cores.
my ($niced, @ckpids) = (0);
# (unnice(1): at once, whatever the log says.)
sub unnice { return unless $niced && ($_[0] || $main::DUMP_DONE && $main::DUMP_DONE->()); setpriority(0, $_, 0) for 0, @ckpids; $niced = 0 }
# CRIU's pagemap-*.img say which virtual page each page of pages-<id>.img holds: [magic, magic],
# then [u32 length, protobuf] records, a head (pages_id = 1) and entries (vaddr = 1, nr_pages = 5,
# or 2 before CRIU 4; in_parent = 3; flags = 4: 1 parent, 4 present). Only whole, consistent maps count.
sub varint { my ($s, $p) = @_; my ($v, $sh) = (0, 0); while (1) { die "bad varint\n" if $$p >= length $$s; my $c = ord(substr($$s, $$p++, 1)); $v += ($c & 0x7f) * 2 ** $sh; last unless $c & 0x80; $sh += 7 } $v }
sub slurp { open(my $fh, '<:raw', $_[0]) or return undef; local $/; my $d = <$fh>; $d }
# One pagemap image's bytes -> [pages id, the virtual address of each page in order]; undef if torn.
sub pagemap {
  my ($d) = @_; return undef unless defined $d;
  my $v = eval {
    my ($p, $id, @pages) = (8);
    while ($p < length $d) {
      my $len = unpack('V', substr($d, $p, 4)); $p += 4; my $r = substr($d, $p, $len); $p += $len; die if length($r) != $len;
      my ($q, %x) = (0); while ($q < length $r) { my $k = varint(\$r, \$q); die if ($k & 7) != 0; $x{$k >> 3} = varint(\$r, \$q) }
      if (!defined $id) { $id = $x{1}; next }
      my $nr = $x{5} || $x{2} || 0; my $fl = $x{4} // 4;
      next if !($fl & 4) || ($fl & 1) || $x{3};
      push @pages, $x{1} + $_ * $B for 0 .. $nr - 1;
    }
    [$id, \@pages];
  };
  $v && defined $v->[0] ? $v : undef;
}
sub maps {
  my ($dir, @skip) = @_; my %skip = map { $_ => 1 } @skip; my %m; opendir(my $h, $dir) or return ();
  my @pm = grep { /^pagemap-\d+\.img$/ && !$skip{$_} } readdir $h; closedir $h;
  for my $f (@pm) { my $v = pagemap(slurp("$dir/$f")); $m{'pages-' . $v->[0] . '.img'} = $v->[1] if $v }
  %m;
}
# The same inside an archive: pages member (by tarmembers' key) -> virtual addresses.
sub tarmaps {
  my ($fh, @m) = @_; my %r;
  for (@m) {
    my ($k, $d, $sz) = @$_; next unless $k =~ m{^(.*/)?pagemap-\d+\.img:.#0$}s; my $dir = defined $1 ? $1 : '';
    sysseek($fh, $d, 0) // next; (sysread($fh, my $x, $sz) // -1) == $sz or next;
    my $v = pagemap($x); $r{$dir . 'pages-' . $v->[0] . '.img:0#0'} = $v->[1] if $v;
  }
  %r;
}
# A rebuilt file's "copy this much of the old file from here" lines: adjacent ranges become one.
sub copier {
  my ($run, $len) = (-1, 0);
  my $flush = sub { out "C $run $len\n" if $len; ($run, $len) = (-1, 0) };
  my $same = sub { my ($o, $l) = @_; if ($len && $run + $len == $o) { $len += $l } else { $flush->(); ($run, $len) = ($o, $l) } };
  ($same, $flush);
}
# Rebuilds pages-<id>.img's pages (read from $a at $ao, one per address of @$vn) out of the old
# ones (in $b at $bo, one per address of @$vo). Runs of new pages that follow old pages in order
# are read and compared whole (one pread each), page by page only where they differ. For an 84 MB
# file shifted by 1 MB: 150 ms, against 285 ms a page at a time and 600-750 ms reading the old
# file into memory first (fresh memory's faults).
sub byvaddr {
  my ($a, $ao, $b, $bo, $vn, $vo, $same, $flush, $n) = @_;
  my %at; @at{@$vo} = (0 .. $#$vo); my ($ob, $j, $left) = ('', 0, @$vn * $B);
  sysseek($a, $ao, 0) // die "$n: $!\n";
  while ($left > 0) {
    my $ra = sysread($a, my $x, $left < $C ? $left : $C); die "$n: $!\n" unless defined $ra; last if !$ra; $left -= $ra; unnice();
    my $np = $ra / $B; my $i = 0;
    while ($i < $np) {
      my $k = $at{$vn->[$j + $i]};
      if (!defined $k) { $flush->(); out "A $B\n", substr($x, $i * $B, $B); $sent += $B; $pages++; $i++; next }
      my $r = 1; $r++ while $i + $r < $np && ($at{$vn->[$j + $i + $r]} // -1) == $k + $r;
      sysseek($b, $bo + $k * $B, 0) // die "$base/$n: $!\n"; (sysread($b, $ob, $r * $B) // -1) == $r * $B or die "$base/$n: short at page $k\n";
      if (substr($x, $i * $B, $r * $B) eq $ob) { $same->($bo + $k * $B, $r * $B) }
      else {
        for my $t (0 .. $r - 1) {
          my $p = substr($x, ($i + $t) * $B, $B); my $q = substr($ob, $t * $B, $B);
          if ($p eq $q) { $same->($bo + ($k + $t) * $B, $B); next }
          $flush->(); out 'Y ', $bo + ($k + $t) * $B, " $B\n", $p ^ $q; $sent += $B; $pages++;
        }
      }
      $i += $r;
    }
    $j += $np;
  }
}
# A ustar archive's members: [name:type#occurrence, data offset, size]; empty when it is not one.
sub tarmembers {
  my ($fh, $size) = @_; my (@m, %seen, $h); my $o = 0;
  while ($o + 512 <= $size) {
    sysseek($fh, $o, 0) // return (); (sysread($fh, $h, 512) // -1) == 512 or return ();
    last if $h eq "\0" x 512;
    return () unless substr($h, 257, 5) eq 'ustar';
    my $s = substr($h, 124, 12); return () if ord($s) & 0x80; $s =~ tr/0-7//cd; $s = oct($s || '0');
    my ($nm) = unpack('Z100', $h); my ($pf) = unpack('Z155', substr($h, 345, 155));
    my $k = ($pf eq '' ? '' : "$pf/") . $nm . ':' . substr($h, 156, 1);
    push @m, [$k . '#' . $seen{$k}++, $o + 512, $s];
    $o += 512 + (($s + 511) & ~511);
  }
  @m;
}
# Bytes [$from, $to) of a file as they are, in A records (a rebuilt file's literal bytes, a file
# with no basis), each run of whole 4 KiB pages of zeros as an H record instead (the destination
# leaves a hole there): 41 % of the lab game's 100 MB of memory, which then neither crosses the
# pipes and SSH nor takes the destination's memory. Finding them cost ~1 ms per 100 MB on the lab.
my $ZERO = "\0" x $B;
sub stream {
  my ($a, $from, $to, $n) = @_;
  for (my $o = $from; $o < $to;) {
    my $l = $to - $o < $C ? $to - $o : $C;
    sysseek($a, $o, 0) // die "$n: $!\n"; (sysread($a, my $x, $l) // -1) == $l or die "$n: short at $o\n";
    # Runs of data pages and of zero pages as they alternate; a last piece short of a page is data.
    my ($s, $z, $tail) = (0, 0, $l - $l % $B);
    my $run = sub {
      my ($e) = @_; return if $e <= $s;
      if ($z) { out 'H ', $e - $s, "\n"; $holes += $e - $s; $zcur = zeros($zcur, $e - $s) if defined $zcur }
      else {
        my $d = $e - $s == $l ? $x : substr($x, $s, $e - $s);
        $zcur = Compress::Raw::Zlib::crc32($d, $zcur) if defined $zcur;
        out 'A ', $e - $s, "\n", $d; $sent += $e - $s;
      }
      $s = $e;
    };
    for (my $i = 0; $i < $tail; $i += $B) { my $zp = substr($x, $i, $B) eq $ZERO ? 1 : 0; if ($zp != $z) { $run->($i); $z = $zp } }
    if ($z && $tail < $l) { $run->($tail); $z = 0 }
    $run->($l);
    $o += $l;
  }
}
# The records for bytes [$from, $to) of a file against its basis ($b, $bs bytes) at equal offsets
# (onto the stream, or appended to the string $out refers to):
# a changed page goes as its XOR with the old one (mostly zeros), what lies past the basis's last
# whole page as plain bytes. A chunk equal to the old one costs one compare in C; page by page
# only where it differs (21 ms for the lab game's 88 MB, against 34 ms for XORing whole chunks and
# searching them).
sub compare {
  my ($a, $b, $bs, $from, $to, $n, $out, $ov) = @_;
  for (my $o = $from; $o < $to;) {
    my $l = $to - $o < $C ? $to - $o : $C;
    sysseek($a, $o, 0) // die "$n: $!\n"; (sysread($a, my $x, $l) // -1) == $l or die "$n: short at $o\n";
    unnice();
    my $y = '';
    if ($o < $bs) { my $m = $bs - $o < $l ? $bs - $o : $l; sysseek($b, $o, 0) // die "$base/$n: $!\n"; (sysread($b, $y, $m) // -1) == $m or die "$base/$n: short at $o\n" }
    if ($x ne $y) {
      for (my $i = 0; $i < $l; $i += $B) {
        my $p = substr($x, $i, $B); my $q = $i < length $y ? substr($y, $i, $B) : ''; next if $p eq $q;
        # (A last piece short of a page is read again when the CRC is folded.)
        $ov->{($o + $i) >> 12} = Compress::Raw::Zlib::crc32($p) if $ov && length $p == $B;
        my $r = length $p == $B && length $q == $B ? 'X ' . ($o + $i) . " $B\n" . ($p ^ $q) : 'B ' . ($o + $i) . ' ' . length($p) . "\n$p";
        if ($out) { $$out .= $r } else { out $r }
        $sent += length $p; $pages++;
      }
    }
    $o += $l;
  }
}
# One file's records, ending in E.
sub scan {
  my ($n) = @_;
  my $size = -s $n; $total += $size;
  open(my $a, '<:raw', $n) or die "$n: $!\n";
  my $b; my $bs = -s "$base/$n";
  my ($vn, $vo) = ($vnew{$n}, $vold{$n});
  # The game's memory layout moved (a mapping came or went): equal offsets no longer hold the same
  # page. Rebuild the file on the destination from its old pages by virtual address instead.
  if ($vn && $vo && defined $bs && @$vn * $B == $size && @$vo * $B == $bs && join(',', @$vn) ne join(',', @$vo) && open($b, '<:raw', "$base/$n")) {
    out "R $n $size $bs" . zmark($n);
    my ($same, $flush) = copier();
    byvaddr($a, 0, $b, 0, $vn, $vo, $same, $flush, $n);
    $flush->(); close $a; close $b; out "E\n"; return;
  }
  # An archive (podman's checkpoint): a member that grew past a 512-byte block shifts every member
  # behind it, CRIU's pages included, so equal offsets stop matching. Each member is compared with
  # the basis's member of the same name instead, page by page from the member's start, and the
  # destination rebuilds the file from its old members.
  my @tn = $n =~ /\.tar$/ && defined $bs ? tarmembers($a, $size) : ();
  my @to = @tn && open($b, '<:raw', "$base/$n") ? tarmembers($b, $bs) : ();
  if (@tn && @to) {
    out "R $n $size $bs" . zmark($n);
    my %om = map { $_->[0] => $_ } @to;
    my ($same, $flush) = copier(); my $at = 0;
    my %vn = tarmaps($a, @tn); my %vo = tarmaps($b, @to);
    my $lit = sub { my ($o, $l) = @_; $flush->(); stream($a, $o, $o + $l, $n) };
    for my $m (@tn) {
      my ($k, $d, $sz) = @$m; my $pad = ($sz + 511) & ~511;
      # Headers hold the dump's times: they go as they are (512 bytes each, mostly zeros).
      $lit->($d - 512, 512);
      my $prev = $om{$k}; my $opad = $prev ? (($prev->[2] + 511) & ~511) : 0;
      # CRIU's pages with a memory layout that moved: by virtual address, as for an image dir.
      my ($mn, $mo) = ($vn{$k}, $vo{$k});
      if ($prev && $mn && $mo && @$mn * $B == $sz && @$mo * $B == $prev->[2] && join(',', @$mn) ne join(',', @$mo)) {
        byvaddr($a, $d, $b, $prev->[1], $mn, $mo, $same, $flush, $n); $at = $d + $pad; next;
      }
      for (my $c = 0; $c < $pad; $c += $C) {
        my $l = $pad - $c < $C ? $pad - $c : $C;
        sysseek($a, $d + $c, 0) // die "$n: $!\n"; (sysread($a, my $x, $l) // -1) == $l or die "$n: short at $d\n";
        my $y = '';
        if ($prev && $c < $opad) { my $ol = $opad - $c < $l ? $opad - $c : $l; sysseek($b, $prev->[1] + $c, 0) // die "$base/$n: $!\n"; (sysread($b, $y, $ol) // -1) == $ol or die "$base/$n: short\n" }
        if ($y eq $x) { $same->($prev->[1] + $c, $l); next }
        for (my $i = 0; $i < $l; $i += $B) {
          my $pl = $l - $i < $B ? $l - $i : $B; my $p = substr($x, $i, $pl);
          if (length($y) >= $i + $pl) {
            my $q = substr($y, $i, $pl); if ($p eq $q) { $same->($prev->[1] + $c + $i, $pl); next }
            $flush->(); out 'Y ', $prev->[1] + $c + $i, " $pl\n", $p ^ $q;
          } else { $flush->(); out "A $pl\n", $p }
          $sent += $pl; $pages++;
        }
      }
      $at = $d + $pad;
    }
    # The end-of-archive blocks.
    $lit->($at, $size - $at) if $size > $at;
    $flush->(); close $a; close $b; out "E\n"; return;
  }
  # A pages file that grew or shrank (the game mapped or dropped memory) is still compared at
  # equal offsets over the common part; what lies past the basis goes as plain pages.
  if (defined $bs && open($b, '<:raw', "$base/$n")) {
    my $ov = ztab($n) ? {} : undef;
    out "P $n $size $bs" . zmark($n);
    compare($a, $b, $bs, 0, $size, $n, undef, $ov);
    $zsum{$n} = zline($n, $ov, $a) if zwill($n);
    close $b;
  } else {
    whole_start($n); $whole++;
    stream($a, 0, $size, $n);
    close $a; whole_end($n, $size); return;
  }
  close $a; out "E\n";
}
# The CRC lines of these files: the big ones' by cksum (its own process, started now, so it runs
# beside whatever comes next), the small ones' here. Returns the sub that gives them.
# A file sent whole with its CRC along (or to be, in this phase's scan: without a basis it goes whole)
# has its line already, or will by the time the sub is called.
sub sums {
  my @along = grep { exists $zsum{$_} || ($ZC && (!-e "$base/$_" || zwill($_))) } @_; my %along = map { $_ => 1 } @along;
  my ($here, $big) = small_first(grep { !$along{$_} } @_); my $ck;
  if (@$big) { push @ckpids, open($ck, '-|', 'cksum', '--', @$big) || die "cksum: $!\n" }
  sub {
    my @s = map { cksum_line($_) } @$here;
    # (A small one, or one with a table whose changes were not followed page by page: summed whole here.)
    push @s, map { $zsum{$_} // (-e "$base/$_" ? zline($_) : die "$_: sent whole without its CRC\n") } @along;
    if ($ck) {
      my $in = ''; vec($in, fileno($ck), 1) = 1;
      oflush(); unnice() while $niced && !select(my $r = $in, undef, undef, 0.002);
      push @s, <$ck>; close $ck or die "cksum failed\n";
    }
    @s;
  };
}
# Scans these files; their CRCs (the big ones' computed beside the scan); returns the CRC lines.
sub phase {
  my @f = @_; return () unless @f;
  my $sums = sums(@f);
  # A pagemap byte-identical to the basis's means the same layout: no need to parse it (13 ms for
  # the lab game's two maps, while the game is frozen).
  if (grep { /^pages-/ } @f) {
    my @same = grep { /^pagemap-\d+\.img$/ && do { my $o = slurp("$base/$_"); defined $o && $o eq slurp($_) } } files();
    %vnew = maps('.', @same); %vold = maps($base, @same);
  }
  scan($_) for @f;
  $sums->();
}
# Waiting in the tail chain (DUMP_WAIT before this): CRIU writes the game's memory for most of the
# freeze, appending to pages-<id>.img one task after another, so the sender follows each pages file
# the basis has as it grows and compares what is written with the basis at equal offsets while CRIU
# still writes (a file is whole once CRIU began the next one, or its log says its last task is
# written). The records wait in memory until CRIU's line after its last task: they go out then if
# every pagemap is the basis's (the layout held: equal offsets hold equal pages), else they are
# dropped and those files are scanned again as below, by virtual address (a layout that moved had
# cost a lab hop 2.3 MB on the wire at equal offsets, against ~80 KB). A pages file without a basis
# (a stop-and-copy's whole image, a new task's pages) goes as it grows, its bytes as CRIU writes
# them: nothing there can move (lab, shaping off, 95 MB: the stream had started only once CRIU's
# memory was written, 150-175 ms into the freeze, and ended ~400 ms after CRIU). What it did not
# follow (a file there before it looked) goes at that line, while CRIU dumps the mounts and the
# rest; the other files once it finished. Alone: the image is complete, all at once.
my ($wait, @sums, %early) = ($main::DUMP_WAIT);
# Size, modification and change time: what a later write to the file would move.
sub stamp { join(' ', (stat $_[0])[7, 9, 10]) }
my ($followed, $streamed) = (0, 0);
# The pages files in the dir now (no checks: CRIU is still writing it).
sub pagefiles { opendir(my $d, '.') or return (); my @p = grep { /^pages-\d+\.img$/ } readdir $d; closedir $d; @p }
sub follow {
  my ($since, %did, $n, $fa, $fb, $bs, $off, $buf, @held, @went, @led, $s1, $p1, $ov);
  # Only with CRIU's log: the tail chain removed it before the dump, so it is this dump's, and so
  # is a pages file changed since it appeared (whole seconds: perl-base has no finer stat); an
  # older one is some other dump's, which CRIU would truncate once it opens it.
  return () if $main::DW_LOG eq '';
  while (1) {
    # CRIU's word first, then the file's size: what the log said is written is in the file.
    my $all = $main::DW_MEM || $main::DW_END || -e $main::DW_RC;
    # (The runtime makes the image dir.)
    if (!defined $since) {
      $since = (stat $main::DW_LOG)[10] if -d $img && chdir $img;
      last if $all && !defined $since;
      # The files the runtime wrote before it started CRIU ($lead: runc's descriptors.json) go first
      # where the basis lacks them (a whole image): the destination's held restore starts on them.
      for my $f (defined $since ? split(' ', $lead // '') : ()) {
        next if -l $f || !-f _ || -e "$base/$f" || !open(my $h, '<:raw', $f);
        my $size = -s $h; whole_start($f); stream($h, 0, $size, $f); whole_end($f, $size); close $h;
        push @led, [$f, $size, stamp($f)]; $did{$f} = 1;
      }
    }
    my @next = defined $since && (!defined $n || $all || -s $fa == $off) ? grep { !$did{$_} && (stat $_)[10] >= $since } pagefiles() : ();
    if (!defined $n && @next) {
      ($n) = map { $_->[1] } sort { $a->[0] <=> $b->[0] } map { [/(\d+)/, $_] } @next; $did{$n} = 1;
      undef $fa; undef $fb; $buf = ''; $off = 0; ($s1, $p1) = ($sent, $pages);
      if (!open($fa, '<:raw', $n)) { undef $n; next }
      if (open($fb, '<:raw', "$base/$n")) { $bs = -s $fb; $ov = ztab($n) ? {} : undef } else { undef $fb; whole_start($n) }
      next;
    }
    if (defined $n) {
      my $whole = $all || grep { $_ ne $n } @next;
      my $size = -s $fa; my $upto = $whole ? $size : $size - $size % $B;
      if ($off < $upto && !$fb) { stream($fa, $off, $upto, $n); $off = $upto; next }
      if ($off < $upto) {
        compare($fa, $fb, $bs, $off, $upto, $n, \$buf, $ov); $off = $upto;
        # Past 64 MiB of records (a game that rewrote much of its memory) the file waits for the scan below.
        if (length $buf > 1 << 26) { close $fa; close $fb; $buf = ''; ($sent, $pages) = ($s1, $p1); undef $n }
        next;
      }
      if ($whole && !$fb) { whole_end($n, $size); push @went, [$n, $size, stamp($n)]; close $fa; undef $n; next }
      if ($whole) { push @held, [$n, $size, $bs, $buf, stamp($n), $sent - $s1, $pages - $p1, $ov]; close $fa; close $fb; undef $n; next }
    }
    last if $all && !defined $n;
    $main::DW_READ->() or do { oflush(); select(undef, undef, undef, 0.002) };
  }
  # Every pagemap the image has (CRIU wrote them with their tasks) must be the basis's.
  my ($d, @pm);
  @pm = grep { /^pagemap-\d+\.img$/ } readdir $d if defined $since && opendir($d, '.');
  for (@went, @led) { my ($f, $size, $st) = @$_; $total += $size; $early{$f} = $st; $whole++ }
  $streamed += @went;
  if (grep { my $o = slurp("$base/$_"); !defined $o || $o ne (slurp($_) // '') } @pm) {
    for (@held) { $sent -= $_->[5]; $pages -= $_->[6] }
    @held = ();
  }
  for (@held) {
    my ($f, $size, $was, $recs, $st, $ov) = @$_[0 .. 4, 7];
    out "P $f $size $was" . zmark($f), $recs, "E\n"; $total += $size; $early{$f} = $st; $followed++;
    $zsum{$f} = zline($f, $ov) if zwill($f);
  }
  map { $_->[0] } @led, @went, @held;
}
my $follow;
if ($wait) {
  # CRIU is still the one the players wait for: it keeps its CPU (nice 10 here, cksum too). Not
  # for a whole image (no basis): its bytes must cross, CRIU's end does not end the wait, and at
  # nice 10 the stream fell behind CRIU and ended 82 ms after it (lab, shaping off, medians of 4
  # hops), against 38 ms at 0 (6 hops; CRIU's memory took no longer).
  if (-d $base) { setpriority(0, 0, 10); $niced = 1 }
  $follow = sums(follow());
}
oflush();
my $part = $wait && $wait->(1);
chdir $img or die "cannot enter $img: $!\n";
if ($part) {
  my @p = grep { /^pages-\d+\.img$/ && !exists $early{$_} } files(); $early{$_} = stamp($_) for @p;
  push @sums, phase(@p);
  oflush(); $wait->(0);
}
unnice(1);
push @sums, $follow->() if $follow;
my @f = files();
# CRIU writes no task's pages after its task loop, nor the runtime its lead files after CRIU started:
# one that did would make the copy wrong.
for (keys %early) { die "$_ changed after it was sent (after CRIU's last task was dumped)\n" unless stamp($_) eq $early{$_} }
push @sums, phase(grep { !exists $early{$_} } @f);
out "S\n", @sums, "Z\n";
oflush(); close STDOUT or die "stream: $!\n";
# One string, one write: the counter beside us writes to the same stderr.
my $n = @f; print STDERR "globehop-delta: files $n total $total sent $sent pages $pages whole $whole followed $followed streamed $streamed holes $holes\n" . ($counting ? "globehop-delta: wire $wire\n" : '');
`.replace('CKSUM_SMALL', () => CKSUM_SMALL).replace('ZERO_CRC', () => ZERO_CRC).replace('SENT_LINE', () => SENT_LINE).replace('PAGE_CRCS', () => PAGE_CRCS)

/**
 * Compresses the stream as it comes (gzip format, Compress::Raw::Zlib) and lets it out whenever
 * the scan pauses for 5 ms (a sync flush), so the changed pages cross the link while the scan goes
 * on. gzip(1) holds its output until its buffers fill: on the lab a whole final delta (70-170 KiB)
 * left only when the scan ended, 60-150 ms of wire time after it on a 10 Mbit/s link.
 */
export const DEFLATE = String.raw`
use strict; use Compress::Raw::Zlib; my ($lvl) = @ARGV; binmode STDIN; binmode STDOUT;
my ($d, $st) = Compress::Raw::Zlib::Deflate->new(-Level => $lvl, -WindowBits => WANT_GZIP, -AppendOutput => 1); die "deflate: $st
" unless $d;
my ($in, $o, $dirty) = ('', '', 0); vec($in, fileno(STDIN), 1) = 1;
sub out { my $p = 0; while ($p < length $o) { my $w = syswrite(STDOUT, $o, length($o) - $p, $p); die "write: $!
" unless defined $w; $p += $w } $o = '' }
while (1) {
  if ($dirty && !select(my $r = $in, undef, undef, 0.005)) { $d->flush($o, Z_SYNC_FLUSH) == Z_OK or die "deflate
"; out(); $dirty = 0; next }
  my $n = sysread(STDIN, my $b, 1 << 16); die "read: $!
" unless defined $n; last unless $n;
  $d->deflate($b, $o) == Z_OK or die "deflate
"; $dirty = 1; out() if length $o;
}
$d->flush($o) == Z_OK or die "deflate
"; out();
`

/** The other end: inflates what arrives at once (gzip -dc reads 256 KiB, or to the end, first). */
export const INFLATE = String.raw`
use strict; use Compress::Raw::Zlib; binmode STDIN; binmode STDOUT;
my ($z, $st) = Compress::Raw::Zlib::Inflate->new(-WindowBits => WANT_GZIP); die "inflate: $st
" unless $z; my $end = 0;
while (!$end) {
  my $n = sysread(STDIN, my $b, 1 << 16); die "read: $!
" unless defined $n; die "stream cut short
" unless $n;
  while (length $b && !$end) {
    my $o; $st = $z->inflate($b, $o); $end = $st == Z_STREAM_END; die "inflate: $st
" unless $end || $st == Z_OK || $st == Z_BUF_ERROR;
    my $p = 0; while ($p < length $o) { my $w = syswrite(STDOUT, $o, length($o) - $p, $p); die "write: $!
" unless defined $w; $p += $w }
    last if $st == Z_BUF_ERROR;
  }
}
`

/** The shell's test for the two above (perl-base lacks the module; Debian's libperl has it). */
export const HAS_ZLIB = 'perl -MCompress::Raw::Zlib -e 1 2>/dev/null'

/** Destination side: `perl -e RECEIVER DIR [MARKER]` patches DIR from stdin, then verifies every
 *  file; its last line also goes to MARKER (an absolute path, written aside and renamed). */
export const RECEIVER = String.raw`
use strict; my ($dir, $mark) = @ARGV; chdir $dir or die "cannot enter $dir: $!\n"; binmode STDIN;
# A 1 MiB pipe from what brings the stream (SENDER's note).
fcntl(STDIN, 1031, 1 << 20);
CKSUM_SMALL
ZERO_CRC
PAGE_CRCS
my ($fh, %want, $done, $old, $part, $cur, %early, $end);
# A file sent whole with its CRC along (its N line ends in z): its CRC and size as its bytes
# arrive (the sender's note), checked against the source's z line without reading it again.
my ($zcur, $zlen, %zin, %along);
sub need_zlib { eval { require Compress::Raw::Zlib; 1 } or die "$_[0]: its CRC came along, but this perl has no Compress::Raw::Zlib to check it\n" }
# A pages file patched with its CRC along (its P line ends in z): our copy's table (page-crcs.ts,
# read before the first patch moves its times), the CRC of every page patched, its new size; and
# whether its line said so (without a table here the file is summed whole at the end, by zlib).
my ($ztab, %zov, $zsize, $zp, %folded);
# A patched page at $o: its CRC, where it is a whole page (a piece short of one is the file's
# last, read again at the fold); anything else and the file is summed whole instead.
sub zpatched { my ($o, $d) = @_; return unless $ztab; if (length $d == 4096 && !($o % 4096)) { $zov{$o >> 12} = Compress::Raw::Zlib::crc32($d) } elsif ($o % 4096 || $o + length $d != $zsize) { undef $ztab } }
# A big file's CRC starts the moment its last record is in (cksum, niced: the source may share
# these cores), while the rest of the stream is still on its way: the game's 97 MB of pages take
# 35 ms to sum. On the lab the verify after the stream's end took 12-30 ms so, 24-45 ms where the
# pages' end came with the stream's (the sender's scan shares two cores with CRIU there). A later
# record for the file drops its early sum.
sub early { my $n = shift; if (my $e = delete $early{$n}) { close $e } }
sub sum_early {
  my $n = shift; return if -s $n < 1048576;
  my $pid = open(my $ck, '-|') // die "cksum: $!\n";
  if (!$pid) { setpriority(0, 0, 10); exec('cksum', '--', $n) or exit 127 }
  $early{$n} = $ck;
}
# The stream through our own buffer, a MiB per read(2) (perl's buffered reads take 8 KiB each): a
# line, or the next $n bytes.
my $in = '';
sub more { my $r = sysread(STDIN, $in, 1 << 20, length $in); die "read: $!\n" unless defined $r; $r }
sub line { while (1) { my $i = index($in, "\n"); return substr($in, 0, $i + 1, '') if $i >= 0; return undef unless more() } }
sub rd {
  my $n = shift; return substr($in, 0, $n, '') if length $in >= $n;
  my $s = $in; $in = '';
  while (length($s) < $n) { my $r = sysread(STDIN, $s, $n - length($s), length($s)); die "read: $!\n" unless defined $r; die "stream cut short\n" unless $r }
  $s;
}
# All of it into the file being built, or why not: a filling disk first writes short without a
# reason, and only the next write says ENOSPC (lab, an 8 MiB tmpfs: the error read "write: ").
sub put { my ($d) = @_; my $o = 0; while ($o < length $d) { my $w = syswrite($fh, $d, length($d) - $o, $o); die "$cur: " . ($! || 'nothing written') . "\n" unless $w; $o += $w } }
while (defined(my $l = line())) {
  if ($l =~ /^([PRN]) (\S+)[ \n]/) { $cur = $2; early($cur); delete $zin{$cur}; delete $folded{$cur}; undef $end; undef $ztab; $zp = $l =~ / z\n$/ }
  if ($l =~ /^P (\S+) (\d+) (\d+)( z)?\n$/) {
    $ztab = $zp ? crc_table("$dir.crc/$1", $1) : undef; %zov = (); $zsize = $2;
    open($fh, '+<:raw', $1) or die "$1: $!\n"; die "$1: the destination's copy is not the source's snapshot\n" unless -s $fh == $3;
    truncate($fh, $2) or die "$1: $!\n" if $2 != $3;
  }
  # A file with no basis, its bytes in A records (as the source's CRIU wrote them) and its pages of
  # zeros in H records: a hole here.
  elsif ($l =~ /^N (\S+)( z)?\n$/) {
    $part = $1; undef $old; open($fh, '>:raw', ".$1.part") or die "$1: $!\n";
    if ($2) { need_zlib($1); ($zcur, $zlen) = (0, 0) }
  }
  elsif ($l =~ /^R (\S+) (\d+) (\d+)( z)?\n$/) {
    $part = $1; open($old, '<:raw', $1) or die "$1: $!\n"; die "$1: the destination's copy is not the source's snapshot\n" unless -s $old == $3;
    open($fh, '>:raw', ".$1.part") or die "$1: $!\n";
  }
  elsif ($l =~ /^C (\d+) (\d+)\n$/) {
    my ($o, $left) = ($1, $2); sysseek($old, $o, 0) or die "seek: $!\n";
    while ($left > 0) { my $c = $left > 1048576 ? 1048576 : $left; (sysread($old, my $x, $c) // -1) == $c or die "the destination's copy is short at $o\n"; put($x); $left -= $c }
  }
  elsif ($l =~ /^Y (\d+) (\d+)\n$/) {
    my ($o, $n) = ($1, $2); my $p = rd($n); sysseek($old, $o, 0) or die "seek: $!\n";
    (sysread($old, my $q, $n) // -1) == $n or die "the destination's copy is short at $o\n"; put($p ^ $q);
  }
  elsif ($l =~ /^A (\d+)\n$/) { my $d = rd($1); if (defined $zcur) { $zcur = Compress::Raw::Zlib::crc32($d, $zcur); $zlen += $1 } put($d) }
  elsif ($l =~ /^H (\d+)\n$/) { $end = sysseek($fh, $1, 1) or die "$cur: seek: $!\n"; if (defined $zcur) { $zcur = zeros($zcur, $1); $zlen += $1 } }
  elsif ($l =~ /^B (\d+) (\d+)\n$/) { my $p = rd($2); sysseek($fh, $1, 0) or die "seek: $!\n"; put($p); zpatched($1, $p) }
  elsif ($l =~ /^X (\d+) (\d+)\n$/) {
    my ($o, $n) = ($1, $2); my $p = rd($n); sysseek($fh, $o, 0) or die "seek: $!\n";
    (sysread($fh, my $q, $n) // -1) == $n or die "the destination's copy is short at $o\n";
    sysseek($fh, $o, 0) or die "seek: $!\n"; $p ^= $q; put($p); zpatched($o, $p);
  }
  elsif ($l eq "E\n") {
    # A file that ends in zeros: its size.
    if ($fh && $end && $end > -s $fh) { truncate($fh, $end) or die "$cur: $!\n" }
    if ($fh && $ztab) { my $c = crc_fold($ztab, \%zov, -s $fh, $fh); if (defined $c) { $zin{$cur} = "$c " . -s $fh; $folded{$cur} = 1 } undef $ztab }
    if ($fh) { close $fh or die "close: $!\n"; undef $fh }
    if (defined $part) { close $old if $old; rename(".$part.part", $part) or die "$part: $!\n"; undef $part }
    if (defined $zcur) { $zin{$cur} = "$zcur $zlen"; undef $zcur } elsif (defined $cur && !$zp) { sum_early($cur) }
    undef $cur;
  }
  elsif ($l eq "S\n") { while (defined(my $s = line())) { if ($s eq "Z\n") { $done = 1; last } $s =~ /^(z )?(\d+) (\d+) (\S+)\n$/ or die "bad sum line\n"; $want{$4} = "$2 $3"; $along{$4} = 1 if $1 } last }
  else { die "bad stream line\n" }
}
die "stream cut short\n" unless $done && %want;
opendir(my $d, '.') or die "$!\n"; for (grep { !/^\.\.?$/ } readdir $d) { unlink $_ or die "$_: $!\n" unless exists $want{$_} } closedir $d;
early($_) for grep { !exists $want{$_} } keys %early;
my @n = sort keys %want; my @late = grep { !$early{$_} && !$along{$_} } @n; my ($ok, $bytes) = (0, 0);
my ($here, $big) = small_first(@late);
my @ck = ((map { $early{$_} } sort keys %early), @$big ? do { open(my $c, '-|', 'cksum', '--', @$big) or die "cksum: $!\n"; $c } : ());
sub check { $_[0] =~ /^(\d+) (\d+) (\S+)\n$/ or die "bad cksum line\n"; die "$3: size or CRC differs from the source (here $2 bytes, CRC $1; source $want{$3})\n" unless $want{$3} eq "$1 $2"; $ok++; $bytes += $2 }
check(cksum_line($_)) for @$here;
# The files whose CRC came along: what arrived, and the file's size now. (A patched one whose CRC
# could not be folded here, no valid table say: summed whole.)
for (grep { $along{$_} } @n) {
  my $zi = $zin{$_} // do {
    need_zlib($_);
    open(my $h, '<:raw', $_) or die "$_: its CRC came along, but not its bytes\n"; my $c = crc_whole($h); close $h; "$c " . -s $_ };
  my ($c, $len) = split(' ', $zi); my $size = -s $_ // -1;
  die "$_: $len bytes arrived, the file holds $size\n" unless $len == $size;
  check("$c $size $_\n");
}
for my $ck (@ck) {
  check($_) while <$ck>;
  close $ck or die "cksum failed\n";
}
die "verified $ok of " . scalar(@n) . " files\n" unless $ok == @n;
# (How many were checked from their page CRCs: the rest were read whole, here or by cksum.)
my $fold = grep { $along{$_} && $folded{$_} } @n;
my $line = "globehop-delta: verified $ok files $bytes bytes" . ($fold ? " ($fold by page CRCs)" : '') . "\n";
if (defined $mark) { open(my $o, '>', "$mark.part") or die "$mark: $!\n"; print $o $line; close $o or die "$mark: $!\n"; rename("$mark.part", $mark) or die "$mark: $!\n" }
print $line;
`.replace('CKSUM_SMALL', () => CKSUM_SMALL).replace('ZERO_CRC', () => ZERO_CRC).replace('PAGE_CRCS', () => PAGE_CRCS)

/**
 * Passes the stream on and says how many bytes went out: a `sent` line every 256 KiB, at most one
 * per 50 ms (SENT_LINE), then the wire figure.
 */
export const COUNT = [
  SENT_LINE,
  'binmode STDIN; binmode STDOUT; $| = 1; my ($n, $next) = (0, 262144);',
  'while (my $r = sysread(STDIN, my $b, 65536)) { print $b; $n += $r; $next = $n + 262144 if $n >= $next && sent_line($n) }',
  'close STDOUT; print STDERR "globehop-delta: wire $n\\n"',
].join('\n')

/** The bytes a delta's `sent` line says went out so far, or null for another line. */
export function sentSoFar(line: string): number | null {
  const m = /globehop-delta: sent (\d+)/.exec(line)
  return m ? Number(m[1]) : null
}

/** How a stream is compressed: not at all, gzip format (perl's zlib or gzip(1)), or zstd(1). */
export type StreamCodec = 'none' | 'gzip' | 'zstd'

/** The receiver's command on the destination (`$1` RECEIVER, `$2` the dir, `$3` INFLATE, `$4` the
 *  marker when `marker`): unzip when asked (gzip at once with zlib's module, else with gzip; zstd
 *  with zstd), then patch and verify the dir. */
export function receiverScript(codec: StreamCodec, marker = false): string {
  const unzip = codec === 'zstd' ? 'zstd -dqc | ' : codec === 'gzip' ? `{ if ${HAS_ZLIB}; then perl -e "$3"; else gzip -dc; fi; } | ` : ''
  return `${unzip}perl -e "$1" -- "$2"${marker ? ' "$4"' : ''}`
}

/** The source's pipe from the sender on (`$zip` the level or 0, `$deflate` DEFLATE, `$zf`
 *  perl, gzip or zstd), ending in `tail`. zstd(1) holds up to a block until more input or the
 *  end comes: fine for a whole image, which keeps the link busy, not for a small delta. */
export function senderPipeline(sender: string, tail: string): string {
  return [
    `if [ "$zip" = 0 ]; then GLOBEHOP_COUNT=1 ${sender} ${tail}`,
    `elif [ "$zf" = zstd ]; then ${sender} | zstd -q -"$zip" -c | perl -e "$count" ${tail}`,
    `elif [ "$zf" = perl ]; then ${sender} | perl -e "$deflate" -- "$zip" | perl -e "$count" ${tail}`,
    `else ${sender} | gzip -"$zip" | perl -e "$count" ${tail}; fi`,
  ].join('\n')
}

/**
 * gzip's level for the changed pages: 6 unless the link is measured fast. The XORed pages of a
 * lab hop (998 pages, 4 MB) went to 86 KB at -1 and 64 KB at -6 for 8 ms more CPU: 20 ms less on a
 * 10 Mbit/s wire.
 */
export function deltaGzipLevel(mbitPerSec?: number | null): number {
  return mbitPerSec !== undefined && mbitPerSec !== null && mbitPerSec > 100 ? 1 : 6
}

/** The scripts' `zip` argument: 0 for none, else gzip's level. */
export function gzipArg(a: { compress: boolean; mbitPerSec?: number | null }): string {
  return a.compress ? String(deltaGzipLevel(a.mbitPerSec)) : '0'
}

export interface PageDeltaArgs {
  img: string
  /** The snapshot the destination's `remoteImg` holds, on the source. */
  basis: string
  remoteImg: string
  /** ssh argv up to and including the host (HOST_SSH_OPTS, port, user, `--`, address). */
  ssh: string[]
  compress: boolean
  /** The link's measured rate: gzip's level follows it. */
  mbitPerSec?: number | null
}

/**
 * One command on the source: scan, compress, count what goes on the wire (stderr), stream over
 * ssh into the receiver. Its exit status is the receiver's: the stream verifies itself end to end.
 */
export function pageDeltaArgv(a: PageDeltaArgs): string[] {
  // The destination's login shell may be any shell: the command reaches sh unchanged (quote.ts).
  const remote = shNeutralCommand(quoteArgv(['sh', '-c', receiverScript(a.compress ? 'gzip' : 'none'), 'sh', RECEIVER, a.remoteImg, INFLATE]))
  const script = [
    'img=$1 base=$2 zip=$3 sender=$4 remote=$5 count=$6 deflate=$7; shift 7',
    `zf=gzip; ! ${HAS_ZLIB} || zf=perl`,
    senderPipeline('perl -e "$sender" -- "$img" "$base"', '| "$@" "$remote"'),
  ].join('\n')
  return ['sh', '-c', script, 'sh', a.img, a.basis, gzipArg(a), SENDER, remote, COUNT, DEFLATE, ...a.ssh]
}

export interface PageDeltaFigures {
  files?: number
  totalBytes?: number
  /** Changed bytes sent before compression. */
  sentBytes?: number
  pages?: number
  wholeFiles?: number
  /** Pages files the tail chain's sender followed as CRIU wrote them. */
  followedFiles?: number
  /** Pages files without a basis it sent as they grew (counted whole too). */
  streamedFiles?: number
  /** Bytes of files without a basis that were whole pages of zeros: not sent (a hole on arrival). */
  zeroBytes?: number
  wireBytes?: number
  verifiedFiles?: number
  /** Of those, checked from their page CRC tables (page-crcs.ts) rather than read whole. */
  foldedFiles?: number
}

/** The `globehop-delta:` lines both ends print. */
export function parsePageDelta(lines: readonly string[]): PageDeltaFigures {
  const out: PageDeltaFigures = {}
  for (const l of lines) {
    let m = /globehop-delta: files (\d+) total (\d+) sent (\d+) pages (\d+) whole (\d+)/.exec(l)
    if (m) Object.assign(out, { files: +m[1]!, totalBytes: +m[2]!, sentBytes: +m[3]!, pages: +m[4]!, wholeFiles: +m[5]! })
    m = /globehop-delta: files .* followed (\d+)/.exec(l)
    if (m) out.followedFiles = +m[1]!
    m = /globehop-delta: files .* streamed (\d+)/.exec(l)
    if (m) out.streamedFiles = +m[1]!
    m = /globehop-delta: files .* holes (\d+)/.exec(l)
    if (m) out.zeroBytes = +m[1]!
    m = /globehop-delta: wire (\d+)/.exec(l)
    if (m) out.wireBytes = +m[1]!
    m = /globehop-delta: verified (\d+) files \d+ bytes(?: \((\d+) by page CRCs\))?/.exec(l)
    if (m) Object.assign(out, { verifiedFiles: +m[1]!, foldedFiles: +(m[2] ?? 0) })
  }
  return out
}
