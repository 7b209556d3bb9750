#!/bin/sh
# make demo: what cowsnap does so far, step by step, inside the test VM
# (tests/vm/run --script).  Every step prints the command it runs.
set -eu

step() { printf '\n==> %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
die() { echo "demo: $*" >&2; exit 1; }

MNT=/mnt/demo
cleanup() {
	set +e
	kill "$WATCH" $WRITER 2>/dev/null
	umount /mnt/snap 2>/dev/null
	cowsnapctl snapshot destroy nightly --force 2>/dev/null
	umount "$MNT" 2>/dev/null
	cowsnapctl cbt disable demo 2>/dev/null
	cowsnapctl remove demo 2>/dev/null
	[ -n "${LOOP:-}" ] && losetup -d "$LOOP"
	rm -f /tmp/demo-disk.img
}
WATCH=
WRITER=
trap cleanup EXIT

step "A 256 MiB disk: a loop device over a file"
truncate -s 256M /tmp/demo-disk.img
LOOP=$(losetup --show -f /tmp/demo-disk.img)
echo "$LOOP"

step "Make it a cowsnap volume, /dev/mapper/demo, with ext4 and some files"
run cowsnapctl create demo "$LOOP"
run mkfs.ext4 -q -F -b 4096 /dev/mapper/demo
mkdir -p "$MNT"
run mount /dev/mapper/demo "$MNT"
mkdir "$MNT/data"
for i in 1 2 3 4; do
	dd if=/dev/urandom of="$MNT/data/file$i" bs=64k count=16 2>/dev/null
done
sync
(cd "$MNT/data" && sha256sum file* > /tmp/demo.sha256)
cat /tmp/demo.sha256

step "Attach the error filter to the live, mounted filesystem"
run cowsnapctl filter attach demo
run cowsnapctl status demo

step "Watch for I/O errors (in the background)"
cowsnapctl events demo --follow --count 1 --timeout 60 > /tmp/demo.events &
WATCH=$!
sleep 1

step "A sector beneath the filter goes bad: demo-real gets an error range"
# The first block of file3 on the disk, in 512-byte sectors.
bad=$(filefrag -v -b512 "$MNT/data/file3" |
      awk '$1 == "0:" { sub(/\.\..*/, "", $4); print $4; exit }')
[ -n "$bad" ] || die "cannot find file3 on the disk"
size=$(blockdev --getsz /dev/mapper/demo-real)
echo "file3 starts at sector $bad; sectors $bad..$((bad + 7)) now fail"
dmsetup table demo-real > /tmp/demo-real.table
printf '0 %s linear %s 0\n%s 8 error\n%s %s linear %s %s\n' \
	"$bad" "$LOOP" "$bad" "$((bad + 8))" "$((size - bad - 8))" \
	"$LOOP" "$((bad + 8))" | run dmsetup reload demo-real
run dmsetup suspend demo-real
run dmsetup resume demo-real

step "Reading file3 fails..."
echo 3 > /proc/sys/vm/drop_caches
if dd if="$MNT/data/file3" of=/dev/null bs=4k iflag=direct 2>&1; then
	die "the read should have failed"
fi

step "...and the event arrives"
wait "$WATCH" || die "no event arrived"
WATCH=
cat /tmp/demo.events
grep -q " read $bad " /tmp/demo.events || die "event does not name sector $bad"
run cowsnapctl events demo --json

step "The disk is replaced: the error range goes away, the files are intact"
run dmsetup load demo-real /tmp/demo-real.table
run dmsetup suspend demo-real
run dmsetup resume demo-real
echo 3 > /proc/sys/vm/drop_caches
(cd "$MNT/data" && run sha256sum -c /tmp/demo.sha256)

step "Detach the filter, still mounted"
run cowsnapctl filter detach demo
run cowsnapctl status demo

step "Track changed blocks (64 KiB blocks), still mounted"
run cowsnapctl cbt enable demo --block-size 65536
run cowsnapctl cbt checkpoint demo
echo "(a full backup would copy the whole volume now and remember checkpoint 1)"

step "Change one file; the next checkpoint's incremental holds its blocks"
dd if=/dev/urandom of="$MNT/data/file2" bs=64k count=4 conv=notrunc 2>/dev/null
sync
run cowsnapctl cbt checkpoint demo
run cowsnapctl cbt changes demo --since 1
# Every 64 KiB block of file2's first 256 KiB must be in the list (ext4's
# journal and metadata blocks are there too: they changed as well).
ranges() {	# "START_BLOCK+BLOCKS ..." from the human table
	cowsnapctl cbt changes demo --since "$1" |
		awk 'NF == 4 && $1 ~ /^[0-9]+$/ { printf "%s+%s ", $3, $4 }'
}
list=$(ranges 1)
# file2's first 64 blocks of 4 KiB, as 64 KiB blocks of the volume
for b in $(filefrag -v -b4096 "$MNT/data/file2" |
	   awk '$1 ~ /^[0-9]+:$/ { l = $2 + 0; p = $4 + 0; n = $6 + 0;
		for (i = 0; i < n; i++) if (l + i < 64) print int((p + i) / 16) }' |
	   sort -un); do
	echo "$list" | tr ' ' '\n' | awk -F+ -v b="$b" \
		'$1 != "" && b >= $1 && b < $1 + $2 { f = 1 } END { exit !f }' ||
		die "block $b of file2 is not in the incremental"
	echo "block $b of file2: in the incremental"
done

step "A snapshot of the live filesystem, taken while a writer runs"
# The writer appends numbered lines to a log, one every few milliseconds.
( i=0; while :; do i=$((i + 1)); echo "line $i" >> "$MNT/data/live.log"; done ) &
WRITER=$!
sleep 1
(cd "$MNT/data" && sha256sum file1 file2 file3 file4 > /tmp/demo-snap.sha256)
mkdir -p /tmp/demo-store
run cowsnapctl snapshot create demo --name nightly --store /tmp/demo-store \
	--store-size 16M --store-limit 128M
run cowsnapctl snapshot list

step "Mount the image read-only and read it, while the origin is written"
run e2fsck -fn /dev/mapper/demo@nightly
mkdir -p /mnt/snap
run mount -o ro /dev/mapper/demo@nightly /mnt/snap
# Rewrite file1 on the origin: 4 MiB the snapshot must not see.
dd if=/dev/urandom of="$MNT/data/file1" bs=64k count=64 conv=notrunc 2>/dev/null
sync
(cd /mnt/snap/data && run sha256sum -c /tmp/demo-snap.sha256)
echo "origin's file1 now: $(sha256sum < "$MNT/data/file1" | cut -c1-16)..."
echo "image's  file1:     $(sha256sum < /mnt/snap/data/file1 | cut -c1-16)..."
[ "$(sha256sum < /mnt/snap/data/file1)" != "$(sha256sum < "$MNT/data/file1")" ] ||
	die "the origin's file1 should differ from the image's"
kill "$WRITER"; wait "$WRITER" 2>/dev/null || true
WRITER=
snap_lines=$(wc -l < /mnt/snap/data/live.log)
live_lines=$(wc -l < "$MNT/data/live.log")
echo "live.log: $snap_lines lines in the image, $live_lines on the origin"
[ "$snap_lines" -lt "$live_lines" ] || die "the writer went on after the snapshot"
head -n "$snap_lines" "$MNT/data/live.log" | cmp - /mnt/snap/data/live.log ||
	die "the image's live.log is not a prefix of the origin's"
echo "the image's live.log is exactly the first $snap_lines lines: one instant"
run cowsnapctl snapshot info nightly

step "Release the snapshot; the tracker keeps tracking"
run umount /mnt/snap
run cowsnapctl snapshot destroy nightly
run cowsnapctl status demo

step "Exactly what was written: raw writes beneath no filesystem"
run umount "$MNT"
run cowsnapctl cbt checkpoint demo > /tmp/demo.checkpoint
cat /tmp/demo.checkpoint
since=$(awk '$1 == "frozen:" { print $2 }' /tmp/demo.checkpoint)
[ -n "$since" ] || die "no frozen number from the checkpoint"
for blk in 100 101 2000 4095; do
	dd if=/dev/urandom of=/dev/mapper/demo bs=64k count=1 seek=$blk \
		oflag=direct conv=notrunc 2>/dev/null
done
echo "wrote 64 KiB blocks 100, 101, 2000 and 4095"
run cowsnapctl cbt checkpoint demo
run cowsnapctl cbt changes demo --since "$since"
got=$(ranges "$since")
echo "ranges (start+blocks): $got"
[ "$got" = "100+2 2000+1 4095+1 " ] || die "expected exactly 100+2 2000+1 4095+1"
echo "the incremental holds exactly the blocks written, nothing else"

step "Remove the tracker and the volume"
run cowsnapctl cbt disable demo
run cowsnapctl remove demo

step "Done: the filter came and went under a mounted filesystem, the failed read was reported with its sector, the snapshot held the filesystem as it was at one instant while it was rewritten, and the change tracker found exactly the blocks written."
