#!/bin/sh
# make soak, guest side (tests/soak/run puts DURATION, SIZE_MB, THREADS,
# MIN_CYCLES and INJECT in front and runs it with tests/vm/run --script).
#
# Two volumes on loop devices (files in the guest's tmpfs), each with the
# blkfilter and cbt layers, as a backup host would have them; then
# cowsnap-soak (tests/soak/soak.c) writes, snapshots, reads and checks for
# DURATION seconds.  Afterwards: no filter event may have been recorded (no
# I/O failed beneath a volume), and the kernel log may hold no report
# (tests/vm/kernel-log-patterns; tests/vm/run checks the console log too).
set -eu

W=/tmp/cowsnap-soak
VOLUMES="soak0 soak1"
LOOPS=

cleanup() {
	set +e
	for s in $(cowsnapctl snapshot list 2>/dev/null |
		   awk 'NR > 1 { print $1 }'); do
		cowsnapctl snapshot destroy "$s" --force
	done
	for v in $VOLUMES; do
		dmsetup info "$v" >/dev/null 2>&1 && cowsnapctl remove "$v"
	done
	for l in $LOOPS; do
		losetup -d "$l"
	done
	rm -rf "$W"
}
trap cleanup EXIT

mkdir -p "$W/store"
for v in $VOLUMES; do
	truncate -s "${SIZE_MB}M" "$W/$v.img"
	l=$(losetup -f --show "$W/$v.img")
	LOOPS="$LOOPS $l"
	cowsnapctl create "$v" "$l"
	cowsnapctl filter attach "$v"
	cowsnapctl cbt enable "$v" --block-size 4096
done
cowsnapctl list

status=0
# shellcheck disable=SC2086 # VOLUMES is a list
cowsnap-soak --duration "$DURATION" --threads "$THREADS" \
	--min-cycles "$MIN_CYCLES" ${INJECT:+--inject "$INJECT"} \
	--store "$W/store" $VOLUMES || status=$?

events=0
for v in $VOLUMES; do
	n=$(cowsnapctl events "$v" | wc -l)
	[ "$n" -eq 0 ] || { echo "soak: $v: $n failed I/O events:";
			    cowsnapctl events "$v"; }
	events=$((events + n))
done
reports=$(dmesg | grep -c -E -f /cowsnap/vm/kernel-log-patterns || true)
echo "soak: filter_events=$events kernel_reports=$reports"
[ "$reports" -eq 0 ] ||
	dmesg | grep -E -A 20 -m 1 -f /cowsnap/vm/kernel-log-patterns
if [ "$status" -ne 0 ] || [ "$events" -ne 0 ] || [ "$reports" -ne 0 ]; then
	echo "soak: FAILED"
	exit 1
fi
echo "soak: all checks passed"
