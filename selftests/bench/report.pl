#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
#
# make bench, host side: read the host-timestamped serial logs
# (BUILD/*.tlog, written by scripts/bench.sh) and write OUT/bench.json,
# OUT/bench.md and BUILD/bench.gp (gnuplot; draws OUT/bench.png).
#
# Usage: selftests/bench/report.pl BUILD OUT
# Env (from scripts/bench.sh): BENCH_WALL, BENCH_BPS, BENCH_REPS,
#      BENCH_SECTIONS, KVER
use strict;
use warnings;
use JSON::PP;
use POSIX qw(floor);

my ($B, $OUT) = @ARGV;
die "usage: report.pl BUILD OUT\n" unless defined $OUT;

# ---- samples -----------------------------------------------------------
# $S{sect}{method}{metric} = [ [rep, value], ... ]
our %S;
my $size_tag = '';	# section 1b: "-MIB" from the log's name (byref-MIB*.tlog)
sub add { my ($s, $m, $r, $k, $v) = @_; $s .= $size_tag if $s eq 'byref'; push @{$S{$s}{$m}{$k}}, [$r, $v + 0]; }

for my $f (sort glob("$B/*.tlog")) {
	open(my $fh, '<', $f) or die "$f: $!";
	my ($pend, %beg, $last_panic, $vmb, $armed);
	$size_tag = $f =~ m{/byref-(\d+)[^/]*\.tlog$} ? "-$1" : '';
	while (my $l = <$fh>) {
		chomp $l;
		my ($ts, $t) = $l =~ /^(\d+\.\d+) (.*)$/ or next;
		if ($t =~ /BENCH-T0 (\S+) (\S+) (\S+)/) {
			# section 2b: the marker came after the panic's lines (or
			# never): the measure started at the panic already
			next if $pend && $pend->{from_panic} && "$pend->{s} $pend->{m} $pend->{r}" eq "$1 $2 $3";
			$pend = { s => $1, m => $2, r => $3, t0 => $ts };
			# the panic's printk can overtake the marker still in the
			# serial driver's buffer
			$pend->{panic} = $last_panic
				if defined $last_panic && $ts - $last_panic < 2;
		} elsif ($t =~ /Kernel panic - not syncing/) {
			$last_panic = $ts;
			$pend->{panic} //= $ts if $pend;
			# section 2b prints "BENCH-V crashbyref M R reservation_bytes="
			# when armed; its marker before the panic may be lost in the
			# serial buffer
			$pend = { %$armed, t0 => $ts, panic => $ts, from_panic => 1 } if !$pend && $armed;
			undef $armed;
		} elsif ($t =~ /BENCH-INIT/) {
			# section 3: the stop (BENCH-B) to the new host kernel's /init
			if ($vmb) {
				add('vm', $vmb->{m}, $vmb->{r}, 'to_init_s', $ts - $vmb->{t});
				undef $vmb;
			}
			next unless $pend;
			# sections 1b and 2b end at BENCH-READY: every module in place
			if ($pend->{s} =~ /^(?:byref|crashbyref)$/) {
				add($pend->{s}, $pend->{m}, $pend->{r}, 'to_init_s', $ts - $pend->{t0});
				add($pend->{s}, $pend->{m}, $pend->{r}, 'exec_phase_s', $ts - $pend->{v})
					if defined $pend->{v};
				add($pend->{s}, $pend->{m}, $pend->{r}, 'panic_to_init_s', $ts - $pend->{panic})
					if defined $pend->{panic};
				$pend->{init} = $ts;
				next;
			}
			add($pend->{s}, $pend->{m}, $pend->{r}, 'time_s', $ts - $pend->{t0});
			add($pend->{s}, $pend->{m}, $pend->{r}, 'exec_phase_s', $ts - $pend->{v})
				if defined $pend->{v};
			add($pend->{s}, $pend->{m}, $pend->{r}, 'panic_to_init_s', $ts - $pend->{panic})
				if defined $pend->{panic};
			undef $pend;
		} elsif ($t =~ /BENCH-READY/) {
			next unless $pend && $pend->{s} =~ /^(?:byref|crashbyref)$/ && defined $pend->{init};
			add($pend->{s}, $pend->{m}, $pend->{r}, 'time_s', $ts - $pend->{t0});
			add($pend->{s}, $pend->{m}, $pend->{r}, 'init_to_ready_s', $ts - $pend->{init});
			add($pend->{s}, $pend->{m}, $pend->{r}, 'panic_to_ready_s', $ts - $pend->{panic})
				if defined $pend->{panic};
			undef $pend;
		} elsif ($t =~ /BENCH-B (\S+) (\S+) (\S+)/) {
			$beg{"$1 $2 $3"} = $ts;
			$vmb = { m => $2, r => $3, t => $ts } if $1 eq 'vm';
		} elsif ($t =~ /BENCH-E (\S+) (\S+) (\S+)/) {
			my $b = delete $beg{"$1 $2 $3"};
			add($1, $2, $3, 'time_s', $ts - $b) if defined $b;
		} elsif ($t =~ /BENCH-V (\S+) (\S+) (\S+) (.*)/) {
			my ($s, $m, $r, $kv) = ($1, $2, $3, $4);
			$armed = { s => $s, m => $m, r => $r } if $s eq 'crashbyref' && $kv =~ /reservation_bytes=/;
			# a reboot-like measure: loaded now, kexec -e next
			if ($pend && "$pend->{s} $pend->{m} $pend->{r}" eq "$s $m $r") {
				add($s, $m, $r, 'load_phase_s', $ts - $pend->{t0});
				$pend->{v} = $ts;
			}
			for (split ' ', $kv) {
				add($s, $m, $r, $1, $2) if /^([\w.]+)=(-?\d+(?:\.\d+)?)$/;
			}
		}
	}
	close $fh;
}

sub vals { my ($s, $m, $k) = @_; return map { $_->[1] } @{$S{$s}{$m}{$k} // []}; }
sub stats {
	my @v = sort { $a <=> $b } @_;
	return undef unless @v;
	my $n = @v;
	my $med = $n % 2 ? $v[$n / 2] : ($v[$n / 2 - 1] + $v[$n / 2]) / 2;
	return { n => $n, median => $med, min => $v[0], max => $v[-1] };
}
sub st { my ($s, $m, $k) = @_; my @v = vals($s, $m, $k); return @v ? { samples => [@v], %{stats(@v)} } : undef; }
sub r3 { defined $_[0] ? 0 + sprintf('%.3f', $_[0]) : undef }
sub ratio { my ($a, $b) = @_; return (defined $a && defined $b && $b) ? $a / $b : undef; }
sub med { my $x = st(@_); return $x ? $x->{median} : undef; }
# paired ratios: repetition r of method A over repetition r of method B
# (run next to each other), as stats
sub paired {
	my ($s, $a, $b, $k) = @_;
	my %bv = map { $_->[0] => $_->[1] } @{$S{$s}{$b}{$k} // []};
	my @r = map { $bv{$_->[0]} ? $_->[1] / $bv{$_->[0]} : () } @{$S{$s}{$a}{$k} // []};
	return @r ? { samples => [map { r3($_) } @r], %{stats(@r)} } : undef;
}

# ---- environment -----------------------------------------------------------
sub sh { my $o = `$_[0] 2>/dev/null`; chomp $o; return $o; }
my $cpu = sh("sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1");
our %J = (
	date => sh("cat $B/started") || sh('date -u +%Y-%m-%dT%H:%M:%SZ'),
	machine => { cpu => $cpu, cores => 0 + sh('nproc'), host_kernel => sh('uname -r'),
		loadavg_at_report => sh("cut -d' ' -f1-3 /proc/loadavg") },
	vm => { kernel => $ENV{KVER} // '', qemu => sh("qemu-system-x86_64 --version | head -n 1"),
		accel => 'tcg', smp => 2 },
	throttle => { bps_read => 0 + ($ENV{BENCH_BPS} // 0),
		note => 'QEMU throttling.bps-read on the boot-depot disk: 50 MB/s scaled by the ~6x TCG slowdown' },
	repetitions => 0 + ($ENV{BENCH_REPS} // 0),
	sections_run => $ENV{BENCH_SECTIONS} // '',
	wall_s => 0,
	wall_s_by_section => { map { (m{wall\.(\w+)$})[0] => 0 + sh("cat $_") } glob("$B/wall.*") },
	timing => 'host timestamps (perl Time::HiRes) of serial console lines as they arrive; '
		. 'the guest prints a marker line right before the measured command, and the new '
		. "kernel's /init prints BENCH-INIT first thing",
	note => (-s "$B/note" ? sh("cat $B/note") : ''),
	sections => {},
	targets => [],
);
$J{wall_s} += $_ for values %{$J{wall_s_by_section}};
our @T;	# targets
sub target {
	my ($id, $what, $goal, $value, $met, $note) = @_;
	push @T, { id => $id, what => $what, target => $goal, value => $value,
		met => (defined $met ? ($met ? JSON::PP::true : JSON::PP::false) : undef),
		status => (defined $met ? ($met ? 'met' : 'not met') : 'not measured'),
		note => $note // '' };
}

# ---- 1. update reboot --------------------------------------------------------
my %U;
{
	my $s = 'update';
	for my $m (qw(fastboot kexec firmware fastboot-cold)) {
		next unless $S{$s}{$m};
		$U{$m} = { map { my $x = st($s, $m, $_); $x ? ($_ => $x) : () }
			qw(time_s vda_bytes bytes_read bytes_reused changed_bytes image_bytes full_bytes
			   load_phase_s exec_phase_s read_ms store_ms copy_ms load_ms) };
	}
	if (-f "$B/fw-image-bytes" && $U{firmware}) {
		$U{firmware}{fw_cfg_bytes} = 0 + sh("cat $B/fw-image-bytes");
	}
	my $tf = med($s, 'fastboot', 'time_s');
	my $tk = med($s, 'kexec', 'time_s');
	my $tw = med($s, 'firmware', 'time_s');
	my $chg = med($s, 'fastboot', 'changed_bytes');
	my $img = med($s, 'fastboot', 'image_bytes') // med($s, 'kexec', 'image_bytes');
	my $frac = ratio($chg, $img);
	my %rat = (fastboot_over_kexec => r3(ratio($tf, $tk)),
		fastboot_over_kexec_paired => paired($s, 'fastboot', 'kexec', 'time_s'),
		fastboot_over_firmware => r3(ratio($tf, $tw)),
		kexec_over_firmware => r3(ratio($tk, $tw)),
		exec_phase_floor => r3(ratio(med($s, 'fastboot', 'exec_phase_s'), $tk)));
	$J{sections}{update} = { measures => \%U, ratios => \%rat, changed_fraction => r3($frac),
		description => 'kernel + base initramfs + 8 modules of 16 MiB random data; one module changes '
		. 'between fastboot repetitions; time from BENCH-T0 (before the load) to BENCH-INIT of the new kernel' }
		if %U;
	# bytes: fastboot bytes_read equals the changed module's size in every repetition
	my @br = @{$S{$s}{fastboot}{bytes_read} // []};
	my @cb = @{$S{$s}{fastboot}{changed_bytes} // []};
	my @vb = vals($s, 'fastboot', 'vda_bytes');
	if (@br && @br == @cb) {
		my $eq = !grep { $br[$_][1] != $cb[$_][1] } 0 .. $#br;
		target('1-bytes', 'Update: bytes read = exactly the changed bytes', 'bytes_read = changed bytes',
			sprintf('fastboot bytes_read = changed bytes in %d of %d repetitions; /dev/vda read %.3f x the changed bytes (median)',
				scalar(grep { $br[$_][1] == $cb[$_][1] } 0 .. $#br), scalar(@br),
				ratio(stats(@vb)->{median}, stats(map { $_->[1] } @cb)->{median}) // 0),
			$eq, 'block-device reads include file system metadata');
	} else {
		target('1-bytes', 'Update: bytes read = exactly the changed bytes', 'bytes_read = changed bytes', undef, undef, 'no samples');
	}
	if (defined $tf && defined $tk && defined $frac) {
		my $goal = $frac + 0.2;
		target('1-time', 'Update: time fastboot / kexec-tools', sprintf('<= changed fraction + 0.2 = %.3f', $goal),
			sprintf('%.3f', $tf / $tk), ($tf / $tk) <= $goal);
	} else {
		target('1-time', 'Update: time fastboot / kexec-tools', '<= changed fraction + 0.2', undef, undef, 'no samples');
	}
}

# ---- 1b. update by reference (selftests/bench/report-byref.pl) -------------
use File::Basename qw(dirname);
use Cwd qw(abs_path);
do(abs_path(dirname($0)) . '/report-byref.pl') or die "report-byref.pl: " . ($@ || $!);
byref_collect($B);
crashbyref_collect();

# ---- 2. crash recovery ---------------------------------------------------
{
	my $s = 'crash';
	my %C;
	for my $m (qw(fastboot kexec)) {
		next unless $S{$s}{$m};
		$C{$m} = { map { my $x = st($s, $m, $_); $x ? ($_ => $x) : () } qw(panic_to_init_s time_s) };
	}
	my $rf = med($s, 'fastboot', 'panic_to_init_s');
	my $rk = med($s, 'kexec', 'panic_to_init_s');
	$J{sections}{crash} = { measures => \%C,
		ratios => { fastboot_over_kexec_p => r3(ratio($rf, $rk)),
			fastboot_over_kexec_p_from_marker => r3(ratio(med($s, 'fastboot', 'time_s'), med($s, 'kexec', 'time_s'))),
			fastboot_over_kexec_p_paired => paired($s, 'fastboot', 'kexec', 'panic_to_init_s') },
		description => 'time from the "Kernel panic - not syncing" console line (panic_to_init_s), and from the '
		. 'marker before echo c >/proc/sysrq-trigger (time_s), to BENCH-INIT of the crash kernel; one VM boot per repetition' }
		if %C;
	target('2', 'Crash recovery: fastboot arm / plain kexec -p', '<= 1.1',
		defined ratio($rf, $rk) ? sprintf('%.3f', $rf / $rk) : undef,
		defined ratio($rf, $rk) ? ($rf / $rk <= 1.1) : undef, defined $rf && defined $rk ? '' : 'no samples');
}

# ---- 3. VM blackout -------------------------------------------------------
# methods "fastboot-MIB" and "savefile-MIB" (guest RAM in MiB)
my $vm_reason;
my @vm_sizes;
{
	my $s = 'vm';
	my %V;
	for my $m (sort keys %{$S{$s} // {}}) {
		$V{$m} = { map { my $x = st($s, $m, $_); $x ? ($_ => $x) : () }
			qw(time_s state_bytes save_ms restore_ms to_init_s) };
	}
	my %sz = map { /^(?:fastboot|savefile)-(\d+)$/ ? ($1 => 1) : () } keys %V;
	@vm_sizes = sort { $a <=> $b } keys %sz;
	if (%V) {
		my %by;
		for my $z (@vm_sizes) {
			my $f = med($s, "fastboot-$z", 'time_s');
			my $d = med($s, "savefile-$z", 'time_s');
			$by{$z} = { fastboot_s => r3($f), savefile_s => r3($d),
				savefile_over_fastboot => r3(ratio($d, $f)),
				fastboot_state_bytes => med($s, "fastboot-$z", 'state_bytes'),
				savefile_state_bytes => med($s, "savefile-$z", 'state_bytes') };
		}
		my $f64 = med($s, 'fastboot-64', 'time_s');
		my $f1g = med($s, 'fastboot-1024', 'time_s');
		my $d1g = med($s, 'savefile-1024', 'time_s');
		$J{sections}{vm} = { measures => \%V, by_size_mib => \%by, ratios => {
			fastboot_1024_over_64 => r3(ratio($f1g, $f64)), savefile_over_fastboot_1024 => r3(ratio($d1g, $f1g)) },
			description => 'an L2 QEMU (TCG) in the test VM runs a bare-metal ticker that fills its RAM and prints a '
			. 'tick a second; blackout = marker before the stop to the first tick of the resumed guest (polled every '
			. '0.1 s), across fastboot update --now of the same image; fastboot: RAM in a guest region, fastboot vm '
			. 'save/restore; savefile: plain RAM, HMP stop + migrate to a file on the VM disk + quit + sync, QEMU '
			. '-incoming from the file + cont; state_bytes: the saved state (fastboot: without the guest RAM); '
			. 'save_ms: stop to state saved; to_init_s: stop to the new kernel\'s /init; restore_ms: restore '
			. 'started to the first tick' };
		my $miss = sub { 'no samples of ' . join(', ', grep { !defined med($s, $_, 'time_s') } @_) };
		target('3-scale', 'VM blackout: fastboot at 1 GiB / at 64 MiB', '<= 1.3',
			defined ratio($f1g, $f64) ? sprintf('%.3f', $f1g / $f64) : undef,
			defined ratio($f1g, $f64) ? $f1g / $f64 <= 1.3 : undef,
			defined ratio($f1g, $f64) ? '' : $miss->(qw(fastboot-64 fastboot-1024)));
		target('3-disk', 'VM blackout: QEMU save to disk / fastboot, at 1 GiB', '>= 5',
			defined ratio($d1g, $f1g) ? sprintf('%.3f', $d1g / $f1g) : undef,
			defined ratio($d1g, $f1g) ? $d1g / $f1g >= 5 : undef,
			defined ratio($d1g, $f1g) ? '' : $miss->(qw(fastboot-1024 savefile-1024)));
	} else {
		$vm_reason = -f "$B/vm.skipped" ? sh("cat $B/vm.skipped")
			: 'the section was not run';
		$J{sections}{vm} = { status => $vm_reason };
		target('3-scale', 'VM blackout: fastboot at 1 GiB / at 64 MiB', '<= 1.3', undef, undef, $vm_reason);
		target('3-disk', 'VM blackout: QEMU save to disk / fastboot, at 1 GiB', '>= 5', undef, undef, $vm_reason);
	}
}

# ---- 4. store throughput ----------------------------------------------------
my %ST;
{
	my $s = 'store';
	my $bytes = med($s, 'size', 'bytes');
	for my $m (qw(tmpfs-cp put get sha256sum marker)) {
		my $x = st($s, $m, 'time_s') or next;
		$ST{$m} = { time_s => $x };
		if ($bytes && $m ne 'marker') {
			my @mbs = map { $bytes / $_ / 1e6 } @{$x->{samples}};
			$ST{$m}{mb_per_s} = { samples => [map { r3($_) } @mbs], %{stats(@mbs)} };
		}
	}
	if (%ST) {
		my $tc = med($s, 'tmpfs-cp', 'time_s');
		my %rat = (put_over_tmpfs => r3(ratio($tc, med($s, 'put', 'time_s'))),
			get_over_tmpfs => r3(ratio($tc, med($s, 'get', 'time_s'))),
			put_over_sha256sum => r3(ratio(med($s, 'sha256sum', 'time_s'), med($s, 'put', 'time_s'))),
			get_over_sha256sum => r3(ratio(med($s, 'sha256sum', 'time_s'), med($s, 'get', 'time_s'))));
		$J{sections}{store} = { measures => \%ST, bytes => $bytes, ratios => \%rat,
			description => 'cp /tmp/big /tmp/copy vs fastboot put big /tmp/big vs fastboot get big /tmp/out '
			. '(tmpfs, SHA-256 checked); throughput = bytes / time (MB = 10^6 B); marker = an empty BENCH-B/BENCH-E pair' };
		for my $op (qw(put get)) {
			my $r = $rat{"${op}_over_tmpfs"};
			target("4-$op", "Store throughput: fastboot $op / tmpfs cp", '>= 0.5',
				defined $r ? sprintf('%.3f', $r) : undef, defined $r ? $r >= 0.5 : undef);
		}
	} else {
		target("4-$_", "Store throughput: fastboot $_ / tmpfs cp", '>= 0.5', undef, undef, 'no samples') for qw(put get);
	}
}
# ---- 5. guest memory (selftests/bench/report-guestmem.pl) -------------------
use File::Basename qw(dirname);
use Cwd qw(abs_path);
do(abs_path(dirname($0)) . '/report-guestmem.pl') or die "report-guestmem.pl: " . ($@ || $!);
my $guestmem = guestmem_collect($B);
$J{sections}{guestmem} = $guestmem // { status => 'the section was not run' };

# ---- 6. a store at scale ----------------------------------------------------
my %SC;
{
	my $s = 'scale';
	for my $m (qw(put-10 put-1000 put-4096 attach-10 attach-4096 guest-first guest-1000 marker)) {
		my $x = st($s, $m, 'time_s') or next;
		$SC{$m} = { time_s => $x };
	}
	if (%SC) {
		my %rat = (put_4096_over_10 => r3(ratio(med($s, 'put-4096', 'time_s'), med($s, 'put-10', 'time_s'))),
			put_1000_over_10 => r3(ratio(med($s, 'put-1000', 'time_s'), med($s, 'put-10', 'time_s'))),
			attach_4096_over_10 => r3(ratio(med($s, 'attach-4096', 'time_s'), med($s, 'attach-10', 'time_s'))),
			guest_1000_over_first => r3(ratio(med($s, 'guest-1000', 'time_s'), med($s, 'guest-first', 'time_s'))));
		$J{sections}{scale} = { measures => \%SC, ratios => \%rat,
			max_objects => med($s, 'size', 'max_objects'),
			description => 'one VM, a 2.5 GiB region with big tables; put-N: fastboot put of a new 1 KiB blob with N objects '
			. 'in the store; attach-N: modprobe fastboot after rmmod with N objects; guest-first: the first guest creates into '
			. 'an empty store, guest-1000: the last ones up to the 1,000th (4 KiB regions, 2 MiB aligned)' };
		my $r = $rat{put_4096_over_10};
		target('6-put', 'Scale: put with 4,096 objects / with 10', '<= 2',
			defined $r ? sprintf('%.3f', $r) : undef, defined $r ? $r <= 2 : undef);
		$r = $rat{guest_1000_over_first};
		target('6-guest', 'Scale: 1,000th guest create / first', '<= 2',
			defined $r ? sprintf('%.3f', $r) : undef, defined $r ? $r <= 2 : undef);
	} else {
		target("6-$_", "Scale: $_", '<= 2', undef, undef, 'no samples') for qw(put guest);
	}
}
$J{targets} = \@T;

open(my $jf, '>', "$OUT/bench.json") or die;
print $jf JSON::PP->new->pretty->canonical->encode(\%J);
close $jf;

# ---- Markdown --------------------------------------------------------------
sub f { my ($x, $d) = @_; return defined $x ? sprintf("%.${d}f", $x) : '-'; }
sub mmm { my ($x, $d) = @_; $d //= 2; return '-' unless $x; return sprintf("%s [%s–%s]", f($x->{median}, $d), f($x->{min}, $d), f($x->{max}, $d)); }
sub mib { my $x = shift; return defined $x ? sprintf('%.1f MiB', $x / 1048576) : '-'; }
my $md = '';
$md .= "# fastboot benchmark results\n\n";
$md .= "Generated by `make bench` (scripts/bench.sh) on $J{date}: $J{repetitions} repetitions per measure, "
	. "median [min–max]; ratios are of medians measured side by side in this run.  "
	. "Machine: $cpu, $J{machine}{cores} cores, shared with other jobs; "
	. "VM: QEMU/TCG ($J{vm}{qemu}), 2 vCPUs, Debian kernel $J{vm}{kernel}.  "
	. sprintf("Boot-depot disk throttled to %.1f MiB/s (throttling.bps-read=%d).  ", $J{throttle}{bps_read} / 1048576, $J{throttle}{bps_read})
	. (-s "$B/note" ? 'Note on this run: ' . sh("cat $B/note") . '  ' : '')
	. "Wall time of the measurements: $J{wall_s} s ("
	. join(', ', map { "$_ $J{wall_s_by_section}{$_} s" } sort keys %{$J{wall_s_by_section}}) . ").\n\n";
$md .= "<!-- bench-main-table -->\n";
$md .= "| Target | Goal | Measured | Status |\n| --- | --- | --- | --- |\n";
for my $t (@T) {
	$md .= sprintf("| %s | %s | %s | %s |\n", $t->{what}, $t->{target}, $t->{value} // '-',
		$t->{status} . ($t->{status} eq 'not measured' && $t->{note} ? ' (see below)' : ''));
}
$md .= "<!-- /bench-main-table -->\n\n";

$md .= "## 1. Update reboot\n\n";
if (%U) {
	$md .= "Image: kernel + base initramfs + 8 modules of 16 MiB of random data (" . mib(med('update', 'fastboot', 'image_bytes') // med('update', 'kexec', 'image_bytes')) . ").  "
		. "Time from the marker line before the command to the new kernel's /init.\n\n";
	$md .= "| Method | Time to /init, s | Read from the depot disk | Ratio to fastboot |\n| --- | --- | --- | --- |\n";
	my $tf = med('update', 'fastboot', 'time_s');
	my %desc = (fastboot => '`fastboot update --no-exec` + `kexec -e` (one module changed)',
		kexec => '`kexec -s -l` of the full image + `kexec -e`',
		firmware => '`reboot -f` through SeaBIOS (QEMU without -no-reboot)',
		'fastboot-cold' => 'first `fastboot update` into an empty store (1 sample)');
	for my $m (qw(fastboot kexec firmware fastboot-cold)) {
		my $u = $U{$m} or next;
		my $rd;
		if ($m eq 'firmware') {
			$rd = '0 (QEMU loads the kernel and the ' . mib($u->{fw_cfg_bytes}) . ' initrd from host files over fw_cfg, not throttled)';
		} else {
			$rd = 'vda ' . mib($u->{vda_bytes}{median});
			$rd .= '; tool: bytes_read ' . mib($u->{bytes_read}{median}) if $u->{bytes_read};
			$rd .= ', changed ' . mib($u->{changed_bytes}{median}) if $u->{changed_bytes} && $m eq 'fastboot';
		}
		$md .= sprintf("| %s | %s | %s | %s |\n", $desc{$m}, mmm($u->{time_s}), $rd,
			$m eq 'fastboot' ? '1' : f(ratio($u->{time_s}{median}, $tf), 2));
	}
	if ($U{firmware} && $J{throttle}{bps_read}) {
		my $img = med('update', 'kexec', 'image_bytes') // med('update', 'fastboot', 'image_bytes');
		if ($img) {
			my $est = $U{firmware}{time_s}{median} + $img / $J{throttle}{bps_read};
			$md .= sprintf("\nIf the firmware had to fetch the image from the depot at the throttled rate (%s / %.1f MiB/s), "
				. "it would take about %.1f s (an estimate, not measured); fastboot / that = %.3f.\n",
				mib($img), $J{throttle}{bps_read} / 1048576, $est, $U{fastboot} ? $U{fastboot}{time_s}{median} / $est : 0);
		}
	}
	if ($U{fastboot} && $U{fastboot}{exec_phase_s} && $U{kexec} && $U{kexec}{exec_phase_s}) {
		my ($uf, $uk) = ($U{fastboot}, $U{kexec});
		my $ms = sub { my $x = $uf->{$_[0]}; return $x ? mmm({ map { $_ => $x->{$_} / 1000 } qw(median min max) }, 2) : '-'; };
		$md .= "\nWhere the time goes (seconds, median [min–max]).  Load: from the marker to the image loaded "
			. "(`--no-exec` returned, or `kexec -s -l` returned); exec: `kexec -e` to the new kernel's /init "
			. "(purgatory's SHA-256 check of all segments, the kernel boot, unpacking the initramfs).\n\n";
		$md .= "| Method | Load | Exec | fastboot's steps (its --json *_ms keys) |\n| --- | --- | --- | --- |\n";
		$md .= sprintf("| fastboot | %s | %s | read sources %s, store new modules %s, copy out + SHA-256 check %s, vermagic check + kexec_file_load %s |\n",
			mmm($uf->{load_phase_s}), mmm($uf->{exec_phase_s}), $ms->('read_ms'), $ms->('store_ms'), $ms->('copy_ms'), $ms->('load_ms'));
		$md .= sprintf("| kexec-tools | %s | %s | - |\n", mmm($uk->{load_phase_s}), mmm($uk->{exec_phase_s}));
		my $floor = $J{sections}{update}{ratios}{exec_phase_floor};
		$md .= sprintf("\nThe exec phase is the same work for both methods (the same 150 MiB of segments, checked and unpacked); "
			. "alone it is %s of kexec-tools' total time, a floor for fastboot / kexec-tools that no change to fastboot's load can go under.  "
			. "Of fastboot's load, kexec_file_load's own SHA-256 of all segments and copies are part of the last step.\n",
			f($floor, 3));
	}
	$md .= sprintf("\nChanged fraction of the image: %s.  fastboot / kexec-tools = %s (ratio of medians; "
		. "repetition by repetition, each pair run back to back: %s); fastboot / firmware = %s.\n\n",
		f($J{sections}{update}{changed_fraction}, 3), f($J{sections}{update}{ratios}{fastboot_over_kexec}, 3),
		mmm($J{sections}{update}{ratios}{fastboot_over_kexec_paired}, 3),
		f($J{sections}{update}{ratios}{fastboot_over_firmware}, 3));
} else {
	$md .= "Not run.\n\n";
}

$md .= byref_md();

$md .= "## 2. Crash recovery\n\n";
if (my $c = $J{sections}{crash}) {
	$md .= "Same image (kernel + base initramfs) loaded as the crash kernel, then `echo c >/proc/sysrq-trigger`; one VM boot per repetition, methods alternating.\n\n";
	$md .= "| Method | Panic line to /init, s | Marker before sysrq to /init, s |\n| --- | --- | --- |\n";
	for my $m (qw(fastboot kexec)) {
		my $x = $c->{measures}{$m} or next;
		$md .= sprintf("| %s | %s | %s |\n", $m eq 'fastboot' ? '`fastboot arm` (post notifiers: seal + crash record)' : 'plain `kexec -s -p`',
			mmm($x->{panic_to_init_s}, 3), mmm($x->{time_s}, 3));
	}
	$md .= sprintf("\nfastboot / kexec -p = %s (from the panic line; repetition by repetition: %s), %s (from the marker).\n\n",
		f($c->{ratios}{fastboot_over_kexec_p}, 3), mmm($c->{ratios}{fastboot_over_kexec_p_paired}, 3),
		f($c->{ratios}{fastboot_over_kexec_p_from_marker}, 3));
} else {
	$md .= "Not run.\n\n";
}

$md .= crashbyref_md();

$md .= "## 3. VM blackout\n\n";
if ($vm_reason) {
	$md .= "**Not measured yet.** $vm_reason.\n\n";
} else {
	my $v = $J{sections}{vm};
	my $bytes = sub { my $x = shift; return '-' unless defined $x;
		return $x >= 1048576 ? mib($x) : sprintf('%.0f KiB', $x / 1024); };
	$md .= "An L2 QEMU 7.2 (TCG) inside the test VM runs a bare-metal ticker (selftests/vm/l2/mbticker.c) that fills all "
		. "of its RAM above 2 MiB with data (a value per page, none zero) and prints a tick every second.  Blackout: from "
		. "the marker before the VM is stopped to the first tick of the resumed guest in its serial log (polled every "
		. "0.1 s; the ticker ticks once a second, so up to 1 s of each time is the tick interval, for both methods "
		. "alike), across the same host update (`fastboot update --now` of the same kernel and initramfs, already in "
		. "the store).  fastboot: guest RAM in a fastboot guest region, `fastboot vm save` / `fastboot vm restore` "
		. "(the RAM stays in place; only the device state is saved, in the store).  Save to disk: plain RAM, HMP "
		. "`stop`, `migrate` to a file on the VM's disk, `quit`, `sync`; after the update QEMU `-incoming` from the "
		. "file and `cont`.  One L2 boot per method and size serves all its repetitions.  "
		. "After a fastboot restore the guest's RAM is mapped on demand (page faults into the region); "
		. "the ticker prints its first tick before it reads its memory again, so that page-in happens "
		. "while the guest runs and is not in the blackout.  The state file goes to the test VM's own virtio disk, "
		. "not throttled (a raw file in the host's page cache): it writes and reads 1 GiB in about 15 s, some "
		. "70 MB/s in the VM, which the ~6x TCG slowdown of everything else makes a disk of about 400 MB/s on a real "
		. "host (a SATA SSD).  A faster disk (NVMe) would make save to disk faster, a network disk slower.  The "
		. "host update (kexec reboot) is in both blackouts alike; at 1 GiB it is most of fastboot's.\n\n";
	$md .= "| Guest RAM | fastboot, s | Save to disk, s | Save to disk / fastboot | State saved: fastboot / disk file |\n"
		. "| --- | --- | --- | --- | --- |\n";
	for my $z (@vm_sizes) {
		my ($f, $d) = ($v->{measures}{"fastboot-$z"}, $v->{measures}{"savefile-$z"});
		$md .= sprintf("| %s MiB | %s | %s | %s | %s / %s |\n", $z, mmm($f && $f->{time_s}, 2), mmm($d && $d->{time_s}, 2),
			f($v->{by_size_mib}{$z}{savefile_over_fastboot}, 2),
			$bytes->($v->{by_size_mib}{$z}{fastboot_state_bytes}), $bytes->($v->{by_size_mib}{$z}{savefile_state_bytes}));
	}
	$md .= sprintf("\nfastboot at 1 GiB / at 64 MiB = %s; save to disk / fastboot at 1 GiB = %s (ratios of medians).%s\n\n",
		f($v->{ratios}{fastboot_1024_over_64}, 3), f($v->{ratios}{savefile_over_fastboot_1024}, 3),
		join('', map { "  $_->{what}: not measured, $_->{note}." } grep { $_->{id} =~ /^3-/ && !defined $_->{met} } @T));
	$md .= "Where the time goes (medians, s): save = stop to the state saved and QEMU gone (the file synced); "
		. "stop to /init = the save plus the host update up to the new kernel's /init; restore = QEMU started again "
		. "(after the disk mount and the module load) to the first tick.\n\n";
	$md .= "| Method | Guest RAM | Save | Stop to new /init | Restore to first tick | Blackout |\n| --- | --- | --- | --- | --- | --- |\n";
	for my $z (@vm_sizes) {
		for my $m (qw(fastboot savefile)) {
			my $x = $v->{measures}{"$m-$z"} or next;
			$md .= sprintf("| %s | %s MiB | %s | %s | %s | %s |\n", $m eq 'fastboot' ? 'fastboot' : 'save to disk', $z,
				f($x->{save_ms} && $x->{save_ms}{median} / 1000, 2), f($x->{to_init_s} && $x->{to_init_s}{median}, 2),
				f($x->{restore_ms} && $x->{restore_ms}{median} / 1000, 2), f($x->{time_s} && $x->{time_s}{median}, 2));
		}
	}
	$md .= "\n";
}

$md .= "## 4. Store throughput\n\n";
if (%ST) {
	$md .= sprintf("A %s random file in tmpfs, inside one VM.\n\n", mib($J{sections}{store}{bytes}));
	$md .= "| Operation | Time, s | MB/s | Throughput / tmpfs cp |\n| --- | --- | --- | --- |\n";
	my %desc = ('tmpfs-cp' => '`cp` into tmpfs', put => '`fastboot put`', get => '`fastboot get` (to tmpfs, SHA-256 checked)',
		sha256sum => 'reference: `sha256sum` of the file (hashing alone, busybox)',
		marker => 'timing overhead (empty marker pair)');
	for my $m (qw(tmpfs-cp put get sha256sum marker)) {
		my $x = $ST{$m} or next;
		$md .= sprintf("| %s | %s | %s | %s |\n", $desc{$m}, mmm($x->{time_s}, 3), mmm($x->{mb_per_s}, 1),
			$m eq 'put' ? f($J{sections}{store}{ratios}{put_over_tmpfs}, 3)
			: $m eq 'get' ? f($J{sections}{store}{ratios}{get_over_tmpfs}, 3) : $m eq 'tmpfs-cp' ? '1' : '');
	}
	$md .= "\n";
	if (defined $J{sections}{store}{ratios}{put_over_sha256sum}) {
		$md .= sprintf("Every put computes the object's SHA-256 (in the module, crypto API: sha256-generic here, "
			. "as QEMU 7.2's TCG has no SHA-NI) and every get checks it (in the tool, on a second thread), "
			. "so both are bounded by hashing: throughput relative to `sha256sum` of the same file is %s for put "
			. "and %s for get.  tmpfs cp hashes nothing.\n\n",
			f($J{sections}{store}{ratios}{put_over_sha256sum}, 2), f($J{sections}{store}{ratios}{get_over_sha256sum}, 2));
	}
} else {
	$md .= "Not run.\n\n";
}

$md .= guestmem_md($guestmem);

$md .= "## 6. A store at scale\n\n";
if (%SC) {
	$md .= sprintf("One VM, a 2.5 GiB region with big tables (%s object slots).  Medians [min–max] of single commands, "
		. "each including the tool's start (TCG).\n\n", $J{sections}{scale}{max_objects} // '-');
	$md .= "| Operation | Time, s | Ratio |\n| --- | --- | --- |\n";
	my $R = $J{sections}{scale}{ratios};
	my %desc = ('put-10' => '`fastboot put` (1 KiB), 10 objects in the store',
		'put-1000' => '... 1,000 objects', 'put-4096' => '... 4,096 objects',
		'attach-10' => '`modprobe fastboot` (attach), 10 objects', 'attach-4096' => '... 4,096 objects',
		'guest-first' => '`fastboot guest create` (4 KiB), the first ones',
		'guest-1000' => '... the last ones up to the 1,000th', marker => 'timing overhead (empty marker pair)');
	my %rk = ('put-1000' => 'put_1000_over_10', 'put-4096' => 'put_4096_over_10',
		'attach-4096' => 'attach_4096_over_10', 'guest-1000' => 'guest_1000_over_first');
	for my $m (qw(put-10 put-1000 put-4096 attach-10 attach-4096 guest-first guest-1000 marker)) {
		my $x = $SC{$m} or next;
		$md .= sprintf("| %s | %s | %s |\n", $desc{$m}, mmm($x->{time_s}, 3),
			$rk{$m} ? f($R->{$rk{$m}}, 2) . ' x' : '');
	}
	$md .= "\n";
} else {
	$md .= "Not run.\n\n";
}

$md .= "## How it is measured\n\n"
	. "- Every time is the difference of two host timestamps (perl Time::HiRes) taken when a serial console line arrives: "
	. "the guest prints a marker right before the measured command, and with `fbbench` on the command line the new kernel's "
	. "/init prints `BENCH-INIT` as its first output.  Section 4's marker row is the cost of one empty marker pair.\n"
	. "- Update: the depot is a virtio disk with QEMU `throttling.bps-read`; the page cache is dropped before each repetition; "
	. "bytes read are /sys/block/vda/stat sectors x 512 before and after the load, and fastboot's own `read_bytes` (JSON).  "
	. "fastboot and kexec-tools alternate in one chain of kexec reboots; each fastboot repetition replaces one module file "
	. "with a new version (a new file, renamed into place); kexec-tools reads the whole image (one initrd holding base + 8 modules) "
	. "every time, so a changed module does not change its cost.  The firmware method is a separate QEMU run without -no-reboot: "
	. "`reboot -f`, SeaBIOS, and QEMU's -kernel/-initrd loader, which reads the host file over fw_cfg and not the throttled disk "
	. "(so the firmware time has no depot read in it: it is a lower bound for a network boot).\n"
	. "- Crash: one VM per repetition; the module is loaded and the store formatted in both methods; only `fastboot arm` sets "
	. "crash_kexec_post_notifiers.\n"
	. "- The benchmark reports; it does not gate (`make check` has no timing threshold).\n";

open(my $mf, '>', "$OUT/bench.md") or die;
print $mf $md;
close $mf;

# ---- gnuplot -----------------------------------------------------------------
my @panels;
push @panels, ['Update reboot', [map { ["$_", $U{$_}{time_s}] } grep { $U{$_} && $_ ne 'fastboot-cold' } qw(fastboot kexec firmware)]] if %U;
if (my $c = $J{sections}{crash}) {
	push @panels, ['Crash recovery (panic to /init)', [map { [$_ eq 'kexec' ? 'kexec -p' : 'fastboot arm', $c->{measures}{$_}{panic_to_init_s}] } grep { $c->{measures}{$_} } qw(fastboot kexec)]];
}
if (!$vm_reason && $J{sections}{vm}) {
	my $vm = $J{sections}{vm}{measures};
	push @panels, ['VM blackout', [map { my $z = $_; map { $vm->{"$_-$z"} && $vm->{"$_-$z"}{time_s}
		? [($_ eq 'fastboot' ? 'fastboot ' : 'disk ') . ($z >= 1024 ? ($z / 1024) . 'G' : "${z}M"), $vm->{"$_-$z"}{time_s}] : () }
		qw(fastboot savefile) } @vm_sizes]];
}
push @panels, ['Store, 256 MiB', [map { [$_, $ST{$_}{time_s}] } grep { $ST{$_} } qw(tmpfs-cp put get)]] if %ST;
@panels = grep { @{$_->[1]} } @panels;
open(my $df, '>', "$B/bench.dat") or die;
for my $p (@panels) {
	print $df "# $p->[0]\n";
	printf $df "\"%s\" %.4f %.4f %.4f\n", $_->[0], $_->[1]{median}, $_->[1]{min}, $_->[1]{max} for @{$p->[1]};
	print $df "\n\n";
}
close $df;
my $n = @panels || 1;
open(my $gf, '>', "$B/bench.gp") or die;
print $gf "set terminal pngcairo size " . ($n > 2 ? 330 * $n + 60 : 760) . ",420 font 'sans,10'\n";
print $gf "set output '$OUT/bench.png'\n";
print $gf "set multiplot layout 1,$n title 'fastboot benchmarks, QEMU/TCG ($J{date}): median, min-max bars'\n";
print $gf "set style data histogram\nset style histogram errorbars gap 1 lw 1\nset style fill solid 0.6 border -1\n";
print $gf "set boxwidth 0.8\nset yrange [0:*]\nset grid ytics\nunset key\nset ylabel 'seconds'\nset xtics rotate by -20\n";
for my $i (0 .. $#panels) {
	print $gf "set title '$panels[$i][0]'\n";
	print $gf "plot '$B/bench.dat' index $i using 2:3:4:xtic(1) lc rgb '#3b75af'\n";
}
print $gf "unset multiplot\n";
close $gf;
