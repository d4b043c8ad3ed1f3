# SPDX-License-Identifier: GPL-2.0
#
# make bench, sections 1b (update by reference) and 2b (crash recovery by
# reference): read by report.pl with `do`, in its package; uses its
# samples (%S: sections "byref-MIB", "crashbyref"), %J, target() and the
# formatting helpers.  byref_collect() and crashbyref_collect() add the
# sections (and targets) to %J; byref_md() and crashbyref_md() return
# their Markdown.
use strict;
use warnings;
our (%S, %J);

my @BR_METHODS = qw(byref fastboot-kexec kexec floor firmware byref-cold);
my %BR_DESC = (
	byref => '`fastboot update` by reference: kernel + base through kexec, the rest from the store (`fastboot boot`)',
	'fastboot-kexec' => '`fastboot update` of the same content, every module as `initrd` (through kexec)',
	kexec => '`kexec -s -l` of kernel + the whole image as one initrd',
	floor => '`kexec -s -l` of kernel + base alone (the floor adds reading the changed bytes at the depot rate)',
	firmware => '`reboot -f` through SeaBIOS, the whole image loaded by QEMU over fw_cfg',
	'byref-cold' => 'first `fastboot update` by reference into an empty store (1 sample)');

sub br_sizes {
	return sort { $a <=> $b } map { /^byref-(\d+)$/ ? $1 : () } keys %S;
}

# floor + reading the changed bytes at the depot's rate, per repetition
sub br_floor_total {
	my ($s) = @_;
	my $bps = $ENV{BENCH_BPS} or return ();
	my %chg = map { $_->[0] => $_->[1] } @{$S{$s}{floor}{changed_bytes} // []};
	return map { defined $chg{$_->[0]} ? [$_->[0], $_->[1] + $chg{$_->[0]} / $bps] : () }
		@{$S{$s}{floor}{time_s} // []};
}

sub byref_collect {
	my ($B) = @_;
	my @z = br_sizes() or do {
		target('1b-time', 'By reference: time / kexec-tools', '<= changed fraction + 0.2', undef, undef, 'section 1b not run');
		return;
	};
	my %sec;
	for my $z (@z) {
		my $s = "byref-$z";
		my %M;
		for my $m (@BR_METHODS) {
			next unless $S{$s}{$m};
			$M{$m} = { map { my $x = st($s, $m, $_); $x ? ($_ => $x) : () }
				qw(time_s to_init_s init_to_ready_s load_phase_s exec_phase_s vda_bytes bytes_read
				   bytes_reused changed_bytes image_bytes kexec_bytes read_ms store_ms copy_ms load_ms) };
		}
		my @ft = br_floor_total($s);
		$S{$s}{'floor-total'}{time_s} = \@ft if @ft;
		$M{'floor-total'} = { time_s => st($s, 'floor-total', 'time_s') } if @ft;
		my $tb = med($s, 'byref', 'time_s');
		my $frac = ratio(med($s, 'byref', 'changed_bytes'), med($s, 'byref', 'image_bytes'));
		$sec{$z} = { measures => \%M, changed_fraction => r3($frac),
			fs_image_bytes => 0 + (sh("cat $B/byref-$z.fs-bytes") || 0),
			ratios => {
				byref_over_kexec => r3(ratio($tb, med($s, 'kexec', 'time_s'))),
				byref_over_kexec_paired => paired($s, 'byref', 'kexec', 'time_s'),
				byref_over_fastboot_kexec => r3(ratio($tb, med($s, 'fastboot-kexec', 'time_s'))),
				fastboot_kexec_over_kexec => r3(ratio(med($s, 'fastboot-kexec', 'time_s'), med($s, 'kexec', 'time_s'))),
				byref_over_floor => r3(ratio($tb, med($s, 'floor-total', 'time_s'))),
				byref_over_floor_paired => paired($s, 'byref', 'floor-total', 'time_s'),
				firmware_over_byref => r3(ratio(med($s, 'firmware', 'time_s'), $tb)) } };
	}
	$J{sections}{byref} = { by_fs_mib => \%sec,
		description => 'kernel + base initramfs + 8 module archives of 16 MiB random data + an erofs image of '
		. 'random files; one module changes before every fastboot update; time from BENCH-T0 (before the load) '
		. 'to BENCH-READY (every module in place: `fastboot boot` returned 0, or the archives unpacked by the '
		. 'kernel and the erofs image loop-mounted)' };
	my ($z0, $zn) = ($z[0], $z[-1]);
	my $r0 = $sec{$z0}{ratios};
	my $goal = defined $sec{$z0}{changed_fraction} ? $sec{$z0}{changed_fraction} + 0.2 : undef;
	my $v = $r0->{byref_over_kexec};
	target('1b-time', "By reference: time / kexec-tools ($z0 MiB file system image)",
		defined $goal ? sprintf('<= changed fraction + 0.2 = %.3f', $goal) : '<= changed fraction + 0.2',
		defined $v ? sprintf('%.3f', $v) : undef, defined $v && defined $goal ? $v <= $goal : undef,
		defined $v ? '' : 'no samples');
	$v = $r0->{byref_over_floor};
	target('1b-floor', 'By reference: time / floor (kexec of kernel + base, plus the changed bytes at the depot rate)',
		'<= 1.25', defined $v ? sprintf('%.3f', $v) : undef, defined $v ? $v <= 1.25 : undef,
		defined $v ? '' : 'no samples');
	my $flat = $zn != $z0 ? ratio(med("byref-$zn", 'byref', 'time_s'), med("byref-$z0", 'byref', 'time_s')) : undef;
	target('1b-flat', "By reference: time with the $zn MiB image / with the $z0 MiB image", '<= 1.1',
		defined $flat ? sprintf('%.3f', $flat) : undef, defined $flat ? $flat <= 1.1 : undef,
		defined $flat ? '' : 'one image size only');
	$v = $r0->{firmware_over_byref};
	target('1b-fw', 'By reference: firmware reboot / fastboot', '>= 1', defined $v ? sprintf('%.3f', $v) : undef,
		defined $v ? $v >= 1 : undef, defined $v ? '' : 'no samples');
}

sub byref_md {
	my $sec = $J{sections}{byref} or return "## 1b. Update by reference\n\nNot run.\n\n";
	my $md = "## 1b. Update by reference\n\n";
	$md .= "Image: kernel + base initramfs (the test bed's, which runs `fastboot boot` first) + 8 `module` archives "
		. "of 16 MiB of random data + a `mount` erofs image of random files.  One module changes before every fastboot "
		. "update (byref and fastboot-kexec change different ones, so each reads 16 MiB).  Time from the marker before "
		. "the command to *every module in place*: by reference when `fastboot boot` returned 0 in the new kernel's "
		. "/init; through kexec when the kernel has unpacked the archives and the erofs image is loop-mounted.  "
		. "Methods alternate in one chain of kexec reboots, one VM per image size.\n\n";
	my $ms = sub { my $x = $_[0]; return $x ? mmm({ map { $_ => $x->{$_} / 1000 } qw(median min max) }, 2) : '-'; };
	for my $z (sort { $a <=> $b } keys %{$sec->{by_fs_mib}}) {
		my $e = $sec->{by_fs_mib}{$z};
		my $M = $e->{measures};
		my $tb = $M->{byref} && $M->{byref}{time_s}{median};
		$md .= sprintf("### File system image of %s MiB (image %s, changed fraction %s)\n\n", $z,
			mib($M->{byref} && $M->{byref}{image_bytes}{median}), f($e->{changed_fraction}, 3));
		$md .= "| Method | Time to every module in place, s | Load | Exec (to /init) | /init to in place | Through kexec | Read from the depot | Ratio to by reference |\n"
			. "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
		for my $m (@BR_METHODS, 'floor-total') {
			my $x = $M->{$m} or next;
			my $rd = $x->{vda_bytes} ? 'vda ' . mib($x->{vda_bytes}{median}) : $m eq 'firmware' ? '0 (fw_cfg)' : '-';
			$rd .= '; tool: bytes_read ' . mib($x->{bytes_read}{median}) if $x->{bytes_read};
			$md .= sprintf("| %s | %s | %s | %s | %s | %s | %s | %s |\n",
				$m eq 'floor-total' ? 'floor + changed bytes at the depot rate' : $BR_DESC{$m},
				mmm($x->{time_s}), mmm($x->{load_phase_s}), mmm($x->{exec_phase_s}), mmm($x->{init_to_ready_s}),
				mib($x->{kexec_bytes} && $x->{kexec_bytes}{median}), $rd,
				$m eq 'byref' ? '1' : f(ratio($x->{time_s}{median}, $tb), 2));
		}
		if (my $b = $M->{byref}) {
			$md .= sprintf("\nfastboot's steps by reference (its --json *_ms keys): read sources %s, store new modules %s, "
				. "copy out + check of what goes through kexec %s, vermagic check + kexec_file_load %s.\n",
				$ms->($b->{read_ms}), $ms->($b->{store_ms}), $ms->($b->{copy_ms}), $ms->($b->{load_ms}));
		}
		my $r = $e->{ratios};
		$md .= sprintf("\nby reference / kexec-tools = %s (repetition by repetition: %s); / fastboot through kexec = %s; "
			. "/ floor = %s (paired: %s); fastboot through kexec / kexec-tools = %s; firmware / by reference = %s.\n\n",
			f($r->{byref_over_kexec}, 3), mmm($r->{byref_over_kexec_paired}, 3), f($r->{byref_over_fastboot_kexec}, 3),
			f($r->{byref_over_floor}, 3), mmm($r->{byref_over_floor_paired}, 3), f($r->{fastboot_kexec_over_kexec}, 3),
			f($r->{firmware_over_byref}, 3));
	}
	return $md;
}

# ---- 2b -----------------------------------------------------------------
sub crashbyref_collect {
	my $s = 'crashbyref';
	return unless $S{$s};
	my %M;
	for my $m (sort keys %{$S{$s}}) {
		$M{$m} = { map { my $x = st($s, $m, $_); $x ? ($_ => $x) : () }
			qw(panic_to_ready_s panic_to_init_s init_to_ready_s time_s reservation_bytes reached mem_kib) };
	}
	my (%min, %tried, %failed);
	for my $kind (qw(byref mount)) {
		my @probe = sort { $a->[0] <=> $b->[0] } map { /^$kind-(\d+)$/ ? [$1, $_] : () } keys %M;
		next unless @probe;
		($min{$kind}) = map { $_->[0] } grep { $M{$_->[1]}{reached} } @probe;
		$tried{$kind} = [map { 0 + $_->[0] } @probe];
		$failed{$kind} = [map { 0 + $_->[0] } grep { !$M{$_->[1]}{reached} } @probe];
	}
	$J{sections}{crashbyref} = { measures => \%M,
		ratios => { byref_over_kexec_p => r3(ratio(med($s, 'byref', 'panic_to_ready_s'), med($s, 'kexec-p', 'panic_to_ready_s'))),
			byref_over_kexec_p_paired => paired($s, 'byref', 'kexec-p', 'panic_to_ready_s') },
		smallest_reservation_mib => \%min, reservations_tried_mib => \%tried,
		reservations_failed_mib => \%failed,
		description => 'the image of section 1b (256 MiB erofs image): fastboot arm by reference (kernel + base in '
		. 'the reservation) vs kexec -s -p of the whole image as one initrd; time from the "Kernel panic" line to '
		. 'every module in place in the crash kernel; then the reservation shrunk (/sys/kernel/kexec_crash_size) '
		. 'to each size tried and armed by reference once' };
}

sub crashbyref_md {
	my $c = $J{sections}{crashbyref} or return "## 2b. Crash recovery by reference\n\nNot run.\n\n";
	my $M = $c->{measures};
	my $md = "## 2b. Crash recovery by reference\n\n";
	$md .= "The image of section 1b with the 256 MiB erofs image, armed as the crash kernel, then "
		. "`echo c >/proc/sysrq-trigger`; one VM boot per repetition.  Time from the \"Kernel panic\" line "
		. "to every module in place in the crash kernel.\n\n";
	$md .= "| Method | Reservation | Panic to /init, s | Panic to every module in place, s |\n| --- | --- | --- | --- |\n";
	my %desc = (byref => '`fastboot arm` by reference: kernel + base in the reservation, the rest from the sealed store',
		'kexec-p' => '`kexec -s -p` of kernel + the whole image as one initrd');
	for my $m (qw(byref kexec-p)) {
		my $x = $M->{$m} or next;
		$md .= sprintf("| %s | %s | %s | %s |\n", $desc{$m}, mib($x->{reservation_bytes} && $x->{reservation_bytes}{median}),
			mmm($x->{panic_to_init_s}), mmm($x->{panic_to_ready_s}));
	}
	$md .= sprintf("\nby reference / kexec -p = %s (repetition by repetition: %s).\n\n",
		f($c->{ratios}{byref_over_kexec_p}, 3), mmm($c->{ratios}{byref_over_kexec_p_paired}, 3));
	my %what = (byref => 'the whole image (8 module archives, 128 MiB, and the erofs image)',
		mount => 'kernel + base + the erofs image only (no archive to unpack)');
	for my $kind (qw(byref mount)) {
		my $tried = $c->{reservations_tried_mib}{$kind} or next;
		$md .= "**How small the reservation can be: $what{$kind}.**  Armed by reference with the reservation "
			. "shrunk to each size, one panic each:\n\n| Reservation | Crash kernel's memory | Every module in place | "
			. "Panic to in place, s |\n| --- | --- | --- | --- |\n";
		for my $z (@$tried) {
			my $x = $M->{"$kind-$z"} // {};
			$md .= sprintf("| %d MiB | %s | %s | %s |\n", $z,
				$x->{mem_kib} ? sprintf('%.0f MiB', $x->{mem_kib}{median} / 1024) : '-',
				$x->{reached} ? 'yes' : 'no (see the log)', mmm($x->{panic_to_ready_s}));
		}
		$md .= sprintf("\nSmallest that worked: %s.\n\n", defined $c->{smallest_reservation_mib}{$kind}
			? "$c->{smallest_reservation_mib}{$kind} MiB" : 'none of those tried');
	}
	return $md;
}

1;
