# SPDX-License-Identifier: GPL-2.0
#
# make bench, section 5 (guest memory): loaded by report.pl with `do`; uses
# its subs (st, med, r3, ratio, target, f, mmm).  Samples (report.pl's
# BENCH-V parsing), from selftests/bench/guestmem.sh and vmall.sh:
#   guestmem touch-guest|touch-hugetlbfs  first_minflt first_ms again_minflt again_ms
#   guestmem odread                       guest_ms anon_ms
#   vmall vms1-256|vms4-256               time_s (BENCH-B..E) save_ms restore_ms
#         (and vms1-staged-256,           first_ms last_ms vm_save_ms vm_restore_ms
#         vms4-staged-256)                vm_start_ms vm_load_ms
# plus, read here from BUILD/vmall-*.tlog, to_init_s: BENCH-B to the new
# kernel's BENCH-INIT.
use strict;
use warnings;

# vmall_to_init BUILD: { method => [seconds, ...] } from BENCH-B vmall to
# the next BENCH-INIT
sub vmall_to_init {
	my ($b) = @_;
	my %r;
	for my $f (sort glob("$b/vmall-*.tlog")) {
		open(my $fh, '<', $f) or next;
		my $pend;
		while (my $l = <$fh>) {
			my ($ts, $t) = $l =~ /^(\d+\.\d+) (.*)$/ or next;
			if ($t =~ /BENCH-B vmall (\S+) \S+/) {
				$pend = [$1, $ts];
			} elsif ($t =~ /BENCH-INIT/ && $pend) {
				push @{$r{$pend->[0]}}, $ts - $pend->[1];
				undef $pend;
			}
		}
		close $fh;
	}
	return \%r;
}

# guestmem_collect BUILD: the section's JSON (undef when not run); adds
# its targets
sub guestmem_collect {
	my ($b) = @_;
	my %G;
	my ($tg, $th) = ('touch-guest', 'touch-hugetlbfs');
	for my $m ($tg, $th) {
		my %x = map { my $v = st('guestmem', $m, $_); $v ? ($_ => $v) : () }
			qw(first_minflt first_ms again_minflt again_ms);
		$G{touch}{$m} = \%x if %x;
	}
	my %od = map { my $v = st('guestmem', 'odread', $_); $v ? ($_ => $v) : () } qw(guest_ms anon_ms);
	$G{odread} = \%od if %od;
	my $ti = vmall_to_init($b);
	for my $m (vmall_labels()) {
		my %x = map { my $v = st('vmall', $m, $_); $v ? ($_ => $v) : () }
			qw(time_s save_ms restore_ms first_ms last_ms vm_save_ms vm_restore_ms vm_start_ms vm_load_ms);
		$x{to_init_s} = { samples => $ti->{$m}, %{stats(@{$ti->{$m}})} } if $ti->{$m};
		$G{vmall}{$m} = \%x if %x;
	}
	# section vm with BENCH_VM_STAGED=1: the update loaded before the stop
	our %S;
	my %zs = map { /^(?:fastboot|savefile)-staged-(\d+)$/ ? ($1 => 1) : () } keys %{$S{vm} // {}};
	for my $z (sort { $a <=> $main::b } keys %zs) {
		for my $m ("fastboot-staged-$z", "savefile-staged-$z") {
			my %x = map { my $v = st('vm', $m, $_); $v ? ($_ => $v) : () }
				qw(time_s save_ms restore_ms to_init_s state_bytes);
			$G{staged}{$m} = \%x if %x;
		}
		my $r = ratio(med('vm', "savefile-staged-$z", 'time_s'), med('vm', "fastboot-staged-$z", 'time_s'));
		$G{ratios}{"staged_savefile_over_fastboot_$z"} = r3($r) if defined $r;
	}
	my $none = 'no samples (section guestmem not run)';
	my $t_again = ratio(med('guestmem', $tg, 'again_ms'), med('guestmem', $th, 'again_ms'));
	my $t_first = ratio(med('guestmem', $tg, 'first_ms'), med('guestmem', $th, 'first_ms'));
	my $flt = ratio(med('guestmem', $tg, 'first_minflt'), med('guestmem', $th, 'first_minflt'));
	my $odr = ratio(med('guestmem', 'odread', 'anon_ms'), med('guestmem', 'odread', 'guest_ms'));
	my $vr = ratio(med('vmall', 'vms4-256', 'time_s'), med('vmall', 'vms1-256', 'time_s'));
	my $vrs = ratio(med('vmall', 'vms4-staged-256', 'time_s'), med('vmall', 'vms1-staged-256', 'time_s'));
	my $s3 = $G{ratios}{staged_savefile_over_fastboot_1024};
	$G{ratios} = { %{$G{ratios} // {}}, touch_again_guest_over_hugetlbfs => r3($t_again),
		touch_first_guest_over_hugetlbfs => r3($t_first),
		minflt_guest_over_hugetlbfs => r3($flt),
		odread_guest_over_anon_throughput => r3($odr),
		blackout_last_of_4_over_single => r3($vr),
		(defined $vrs ? (staged_blackout_last_of_4_over_single => r3($vrs)) : ()) };
	$G{description} = 'touch: fbgup faults, a fresh MAP_SHARED mapping of 1 GiB, one write per 4 KiB page, '
		. 'minor faults (getrusage) and ms; "first": hugetlbfs allocates and zeroes its pages on the way '
		. '(a guest region is zeroed at guest create), "again": a new mapping of the populated file (faults only); '
		. 'odread: fbgup odread, O_DIRECT read of a 256 MiB file on the virtio disk, 4 MiB a call, into resident '
		. 'guest memory and into resident anonymous memory, best of 2 each (ABBA); vmall: 1 or 4 L2 QEMUs of '
		. '256 MiB (the ticker of section 3) saved with vm save --all, fastboot update --now, vm restore --all; '
		. 'time_s: BENCH-B to every VM ticking again';
	my $fmt = sub { defined $_[0] ? sprintf('%.3f', $_[0]) : undef };
	target('5-touch', 'Guest memory: touching 1 GiB, guest region / hugetlbfs (time, new mapping of populated files)',
		'<= 1.2', $fmt->($t_again), defined $t_again ? $t_again <= 1.2 : undef, defined $t_again ? '' : $none);
	target('5-minflt', 'Guest memory: touching 1 GiB, minor faults guest region / hugetlbfs', '<= 2',
		$fmt->($flt), defined $flt ? $flt <= 2 : undef, defined $flt ? '' : $none);
	target('5-odirect', 'Guest memory: O_DIRECT read of 256 MiB, into guest / into anonymous memory (throughput)',
		'>= 0.9', $fmt->($odr), defined $odr ? $odr >= 0.9 : undef, defined $odr ? '' : $none);
	target('5-vms', 'VM blackout: last of 4 VMs (256 MiB, vm save/restore --all) / a single VM', '<= 1.3',
		$fmt->($vr), defined $vr ? $vr <= 1.3 : undef, defined $vr ? '' : 'no samples of ' .
		join(', ', grep { !defined med('vmall', $_, 'time_s') } qw(vms1-256 vms4-256)));
	# the same two blackout targets with the update staged before the
	# stop (BENCH_VM_STAGED=1): rows only when that run was made
	target('5-staged', 'VM blackout, update staged first: QEMU save to disk / fastboot, at 1 GiB', '>= 5',
		$fmt->($s3), $s3 >= 5, '') if defined $s3;
	target('5-vms-staged', 'VM blackout, update staged first: last of 4 VMs / a single VM', '<= 1.3',
		$fmt->($vrs), $vrs <= 1.3, '') if defined $vrs;
	return (%{$G{touch} // {}} || %od || %{$G{vmall} // {}} || %{$G{staged} // {}}) ? \%G : undef;
}

# vmall_labels: the runs of vmall.sh, unstaged and staged
sub vmall_labels {
	return qw(vms1-256 vms4-256 vms1-staged-256 vms4-staged-256);
}

# guestmem_md SECTION: the Markdown of section 5
sub guestmem_md {
	my ($g) = @_;
	my $md = "## 5. Guest memory\n\n";
	return $md . "Not run.\n\n" unless $g;
	my $r = $g->{ratios};
	if (my $t = $g->{touch}) {
		$md .= "One VM: a 1 GiB guest region next to a 1 GiB file on hugetlbfs (2 MiB pages), each mapped "
			. "`MAP_SHARED` afresh by `fbgup faults` (selftests/vm/fbgup.c), one write per 4 KiB page, timed "
			. "in the VM (CLOCK_MONOTONIC) with its minor faults (getrusage).  *First*: the hugetlbfs file is "
			. "empty, so its faults allocate and zero the huge pages (a guest region was zeroed once, by "
			. "`guest create`); *again*: a new mapping of the now populated file, faults only, for both.  The "
			. "target is taken on *again* (the two do the same work there).\n\n";
		$md .= "| Mapping | First: faults | First: ms | Again: faults | Again: ms |\n| --- | --- | --- | --- | --- |\n";
		for my $m (qw(touch-guest touch-hugetlbfs)) {
			my $x = $t->{$m} or next;
			$md .= sprintf("| %s | %s | %s | %s | %s |\n", $m eq 'touch-guest' ? 'guest region' : 'hugetlbfs 2 MiB',
				mmm($x->{first_minflt}, 0), mmm($x->{first_ms}, 1), mmm($x->{again_minflt}, 0), mmm($x->{again_ms}, 1));
		}
		$md .= sprintf("\nGuest region / hugetlbfs: time %s again, %s first; minor faults %s.\n\n",
			f($r->{touch_again_guest_over_hugetlbfs}, 3), f($r->{touch_first_guest_over_hugetlbfs}, 3),
			f($r->{minflt_guest_over_hugetlbfs}, 3));
	}
	if (my $o = $g->{odread}) {
		$md .= "O_DIRECT read of a 256 MiB file on the VM's virtio disk (ext4), 4 MiB a `pread`, into the first "
			. "256 MiB of the guest mapping and into anonymous memory (both resident: written first), "
			. "`fbgup odread`, in turn (ABBA), best of two each; the two copies are compared.\n\n";
		$md .= "| Destination | ms | MiB/s |\n| --- | --- | --- |\n";
		for ([guest => 'guest_ms'], [anonymous => 'anon_ms']) {
			my $x = $o->{$_->[1]} or next;
			$md .= sprintf("| %s memory | %s | %s |\n", $_->[0], mmm($x, 1),
				$x->{median} ? f(256 * 1000 / $x->{median}, 1) : '-');
		}
		$md .= sprintf("\nThroughput into guest / into anonymous memory: %s.\n\n",
			f($r->{odread_guest_over_anon_throughput}, 3));
	}
	if (my $v = $g->{vmall}) {
		$md .= "1 and 4 L2 QEMUs of 256 MiB (the ticker of section 3, RAM in guest regions), kept across the "
			. "same host update (`fastboot update --now`) with `fastboot vm save --all` and `vm restore --all`; "
			. "one test VM per count.  Blackout: the marker before `save --all` to the moment every VM has "
			. "ticked again (polled every 0.1 s; ticks are 1 s apart).  Save and restore: of `--all`, measured "
			. "in the VM; per VM: the largest `total_ms` in the `--json` output; stop to /init: the marker to "
			. "the new kernel's /init (host timestamps); first/last tick: `restore --all` started to the first "
			. "tick of the first and of the last VM; of a restore per VM, the largest `start_ms` (QEMU "
			. "started to its QMP answering) and `load_ms` (the incoming migration of the device state).  "
			. "*Staged*: the update is loaded before `save --all` (`fastboot update --no-exec`, the order of "
			. "the admin guide) and the blackout holds `kexec -e` of it (BENCH_VM_STAGED=1).\n\n";
		$md .= "| VMs | Update | Blackout, s | save --all, s | per VM, s | Stop to new /init, s | restore --all, s | per VM, s | QEMU start, s | Incoming, s | First tick, s | Last tick, s |\n"
			. "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
		for my $m (vmall_labels()) {
			my $x = $v->{$m} or next;
			my $ms = sub { my $y = $x->{$_[0]}; $y ? f($y->{median} / 1000, 2) : '-' };
			$md .= sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $m =~ /^vms(\d+)/,
				$m =~ /staged/ ? 'staged' : '`--now`',
				mmm($x->{time_s}), $ms->('save_ms'), $ms->('vm_save_ms'),
				$x->{to_init_s} ? f($x->{to_init_s}{median}, 2) : '-', $ms->('restore_ms'),
				$ms->('vm_restore_ms'), $ms->('vm_start_ms'), $ms->('vm_load_ms'), $ms->('first_ms'), $ms->('last_ms'));
		}
		$md .= sprintf("\nBlackout of the last of 4 VMs / of a single VM: %s (medians)%s.\n\n",
			f($r->{blackout_last_of_4_over_single}, 3),
			defined $r->{staged_blackout_last_of_4_over_single} ?
			'; with the update staged: ' . f($r->{staged_blackout_last_of_4_over_single}, 3) : '');
	}
	if (my $st = $g->{staged}) {
		$md .= "Section 3's VM blackout with the update staged: `fastboot update --no-exec` loads the new "
			. "kernel before the VM stops (as it is before a `systemctl kexec` that fastboot-vms.service "
			. "saves the VMs in), and the blackout holds `kexec -e` of it instead of `fastboot update --now` "
			. "(which reads, checks and loads the image first); the same for both methods "
			. "(BENCH_VM_STAGED=1).\n\n";
		$md .= "| Method | Guest RAM | Save, s | Stop to new /init, s | Restore to first tick, s | Blackout, s |\n"
			. "| --- | --- | --- | --- | --- | --- |\n";
		for my $k (sort { ($a =~ /(\d+)$/)[0] <=> ($b =~ /(\d+)$/)[0] || $a cmp $b } keys %$st) {
			my $x = $st->{$k};
			my ($m, $z) = $k =~ /^(\w+)-staged-(\d+)$/;
			$md .= sprintf("| %s | %d MiB | %s | %s | %s | %s |\n", $m eq 'fastboot' ? 'fastboot' : 'save to disk', $z,
				$x->{save_ms} ? f($x->{save_ms}{median} / 1000, 2) : '-', $x->{to_init_s} ? f($x->{to_init_s}{median}, 2) : '-',
				$x->{restore_ms} ? f($x->{restore_ms}{median} / 1000, 2) : '-', mmm($x->{time_s}));
		}
		$md .= "\n" . join('', map { /(\d+)$/; sprintf("Save to disk / fastboot at %d MiB, staged: %s.\n", $1, f($r->{$_}, 3)) }
			sort grep { /^staged_savefile_over_fastboot_/ } keys %$r) . "\n";
	}
	return $md;
}

1;
