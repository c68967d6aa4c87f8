#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a target kernel under QEMU TCG with an empty possible NUMA node and a
# memmap= reservation, run one command in the guest, and return its exit
# status.  The run fails (exit 1 or more) if the guest's kernel log shows a
# WARN, BUG, Oops, Call Trace, lockup or hung task, even when the command
# succeeded; if the guest never reports a status (crash, timeout) it fails
# with 124 (timeout) or 125.
#
# Usage: vm-run.sh [options] -- GUEST COMMAND
#   --kernel NAME     cached kernel: 6.1 (default), 6.12 or sid
#   --memmap SPEC     reservation, default '512M$0x40000000'; 'none' for none
#   --single-node     no second (empty) NUMA node
#   --smp N           virtual CPUs, default 2, all on NUMA node 0
#   --mttcg           multi-threaded TCG (one host thread per vCPU) instead
#                     of the single-threaded default; see below
#   --clock CLOCK     what guest time is (default wall):
#                     wall    the host's qemu-system-x86_64 under TCG: guest
#                             time is host time, so a timing depends on the
#                             host's load and on how slowly TCG runs each path
#                     icount  QEMU 10 from .cache/qemu10 (scripts/deps.sh
#                             qemu10) with -icount shift=0,sleep=off: guest
#                             time is the instructions executed, 1 ns each,
#                             and idle time is skipped, so a run's timings
#                             repeat and no host process can disturb them;
#                             single-threaded TCG, any --smp (bookworm's
#                             QEMU 7.2 hangs SMP bring-up under -icount)
#   --timeout SEC     wall-clock limit, default 900
#   --log FILE        console log (default build/logs/<kernel>-<time>.log)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${DN_CACHE:-$top/.cache}
build=${BUILD:-$top/build}
kernel=6.1
memmap='512M$0x40000000'
single=0
smp=2
mttcg=0
clock=wall
timeout_s=900
log=

while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--memmap) memmap=$2; shift 2 ;;
	--single-node) single=1; shift ;;
	--smp) smp=$2; shift 2 ;;
	--mttcg) mttcg=1; shift ;;
	--clock) clock=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "vm-run: unknown option $1" >&2; exit 2 ;;
	esac
done
cmd=${*:?vm-run: no guest command}

# The clock: which QEMU, and what its guest's time counts.
qemu=(qemu-system-x86_64)
case $clock in
wall) ;;
icount)
	# icount needs every vCPU on one host thread: QEMU refuses it
	# with multi-threaded TCG.
	if [ "$mttcg" = 1 ]; then
		echo "vm-run: --clock icount runs single-threaded TCG; drop --mttcg" >&2
		exit 2
	fi
	q10=$cache/qemu10/root
	if [ ! -x "$q10/usr/bin/qemu-system-x86_64" ]; then
		echo "vm-run: --clock icount needs QEMU 10 in $cache/qemu10: run scripts/deps.sh qemu10" >&2
		exit 2
	fi
	# Its own loadable modules (it refuses the host's 7.2 ones, noisily)
	# and, with -L, its own firmware (its SeaBIOS is newer than
	# bookworm's) before the host's.  shift=0: one instruction is 1 ns
	# of guest time; sleep=off: an idle guest jumps to its next timer
	# instead of waiting for the host's clock.
	qemu=(env QEMU_MODULE_DIR="$q10/usr/lib/x86_64-linux-gnu/qemu"
	      "$q10/usr/bin/qemu-system-x86_64" -L "$q10/usr/share/qemu" -L "$q10/usr/share/seabios"
	      -icount shift=0,sleep=off)
	;;
*) echo "vm-run: --clock takes wall or icount" >&2; exit 2 ;;
esac

krel=$(cat "$cache/kernels/$kernel/kver")
# deps.sh links the image (bookworm: boot/vmlinuz-REL; sid:
# usr/lib/modules/REL/vmlinuz).
vmlinuz=$cache/kernels/$kernel/vmlinuz
mkdir -p "$build/logs"
[ -n "$log" ] || log=$build/logs/$kernel-$(date +%Y%m%d-%H%M%S)-$$.log
initrd=$(mktemp --suffix=.cpio)
trap 'rm -f "$initrd"' EXIT
"$top/scripts/initramfs.sh" "$krel" "$initrd" "$cmd"

append="console=ttyS0 panic=-1 oops=panic softlockup_panic=0 transparent_hugepage=never quiet"
[ "$memmap" = none ] || append="$append memmap=$memmap"
# The guest's tests read the clock mode from /proc/cmdline (the kernel
# ignores the parameter; dn_icount_test skips unless it says icount).
append="$append dn_clock=$clock"
numa=(-object memory-backend-ram,id=m0,size=2G -numa node,nodeid=0,cpus=0-$((smp - 1)),memdev=m0)
[ "$single" = 1 ] || numa+=(-numa node,nodeid=1)

# Single-threaded TCG (both vCPUs on one host thread): under multi-threaded
# TCG, 6.12 guests were seen to oops on an int3 left by live code patching
# (ftrace kprobe removal, tracepoint static calls) that a vCPU executed after
# the patching CPU's sync, three times in module unload under load; never
# with thread=single.  --mttcg or DN_ACCEL (e.g. DN_ACCEL=tcg) override.
# Single-threaded TCG still interleaves the vCPUs (round robin every few
# thousand instructions), so races between guest CPUs do happen there.
accel=${DN_ACCEL:-tcg,thread=single}
[ "$mttcg" = 0 ] || accel=tcg,thread=multi
case $smp in
''|*[!0-9]*|0) echo "vm-run: --smp takes a number of CPUs" >&2; exit 2 ;;
esac

set +e
timeout --foreground "$timeout_s" "${qemu[@]}" -accel "$accel" -cpu max -smp "$smp" \
	-m 2G,slots=4,maxmem=8G "${numa[@]}" \
	-kernel "$vmlinuz" -initrd "$initrd" -append "$append" \
	-nographic -no-reboot -monitor none -serial stdio </dev/null 2>&1 |
	tr -d '\r' | tee "$log" | sed -n '/^DN-DMESG-BEGIN$/,/^DN-DMESG-END$/!p'
qrc=${PIPESTATUS[0]}
set -e

if [ "$qrc" = 124 ]; then
	echo "vm-run: guest timed out after ${timeout_s}s (log: $log)" >&2
	exit 124
fi
status=$(sed -n 's/^DN-EXIT-STATUS=\([0-9]*\)$/\1/p' "$log" | tail -n1)
if [ -z "$status" ]; then
	echo "vm-run: guest reported no exit status: crashed? (log: $log)" >&2
	exit 125
fi
dmesg_file=${log%.log}.dmesg
sed -n '/^DN-DMESG-BEGIN$/,/^DN-DMESG-END$/p' "$log" | sed '1d;$d' > "$dmesg_file"
# The guest's dmesg, and the console outside it (what a dying guest printed).
sed '/^DN-DMESG-BEGIN$/,/^DN-DMESG-END$/d' "$log" > "${log%.log}.console"
if ! "$top/scripts/check-dmesg.sh" "$dmesg_file" >&2 ||
   ! "$top/scripts/check-dmesg.sh" "${log%.log}.console" >&2; then
	echo "vm-run: guest kernel log is not clean (dmesg: $dmesg_file)" >&2
	[ "$status" != 0 ] || status=1
fi
exit "$status"
