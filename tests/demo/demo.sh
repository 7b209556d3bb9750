#!/bin/sh
# make demo: what cowsnap does, step by step, inside the test VM
# (tests/vm/run --script).  Every step prints the command it runs; every
# claim is checked, and the first one that does not hold ends the demo
# with a non-zero status.
#
# The story: a volume with ext4 and files, watched and tracked while
# mounted; a full backup, some changes, an incremental backup that copies
# only them; both points restored onto new disks, equal bit for bit to the
# volume as it was at each backup; a damaged backup refused; a sector
# going bad under the mounted filesystem, reported as it happens; then
# what a backup relies on: a snapshot of the live filesystem holding one
# instant while a writer runs, and change tracking that finds exactly the
# blocks written.
set -eu

step() { printf '\n==> %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
die() { echo "demo: FAILED: $*" >&2; exit 1; }

W=/tmp/cowsnap-demo		# the disk, the backups, the restored disks
MNT=/mnt/demo
BK=$W/backup
WATCH=
WRITER=
LOOP=
R1=
R2=

cleanup() {
	set +e
	[ -n "$WATCH$WRITER" ] && kill $WATCH $WRITER 2>/dev/null
	for m in /mnt/snap /mnt/restored; do
		umount "$m" 2>/dev/null
	done
	cowsnapctl snapshot destroy nightly --force 2>/dev/null
	umount "$MNT" 2>/dev/null
	cowsnapctl cbt disable demo 2>/dev/null
	cowsnapctl remove demo 2>/dev/null
	for l in $R1 $R2 $LOOP; do
		losetup -d "$l" 2>/dev/null
	done
	rm -rf "$W"
}
trap cleanup EXIT

# Run "$@" with its standard error kept in a file and shown afterwards:
# warnings stay, the progress line goes (the guest's console is a terminal,
# so backup and restore would draw one).
quiet() {
	if "$@" 2>"$W/stderr"; then rc=0; else rc=$?; fi
	cat "$W/stderr" >&2
	return $rc
}
runq() { printf '$ %s\n' "$*"; quiet "$@"; }

# The SHA-256 of a whole device, read past the page cache.
devsum() {
	dd if="$1" bs=1M iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1
}

# Key $2 of the JSON file $1: its first occurrence (a top-level key comes
# before the "volumes" array), quotes and comma removed.
key() {
	sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$1" |
		head -n 1
}

# Print a manifest with its "ranges" on one line.
show_manifest() {
	printf '$ cat %s    # (the ranges on one line)\n' "$1"
	awk '/"ranges": \[/ { skip = 1; printf "      \"ranges\": [" }
	     skip && /[0-9]/ { gsub(/[ ,]/, "");
			       printf "%s%s", (n++ % 2 ? ", " : (n > 1 ? "], [" : "[")), $0 }
	     skip && /^    }/ { skip = 0; print "]]" }
	     !skip { print }' "$1"
}

# A backup of the mounted volume, and the SHA-256 of the volume as the
# backup sees it.  A read-write ext4 may write at any time (journal
# commits, the superblock), so the filesystem stays mounted but goes
# read-only while the device is hashed and backed up: the hash is then
# the state of the instant the backup's snapshot holds.
backup() {	# NAME [OPTIONS...]: writes $W/NAME.json and $W/NAME.sum
	name=$1
	shift
	run mount -o remount,ro "$MNT"
	devsum /dev/mapper/demo > "$W/$name.sum"
	printf '$ cowsnapctl backup demo --to %s %s > %s\n' "$BK" "$*" \
		"$W/$name.json"
	quiet cowsnapctl backup demo --to "$BK" "$@" > "$W/$name.json"
	run mount -o remount,rw "$MNT"
	cat "$W/$name.json"
	echo "the volume at this backup: SHA-256 $(cat "$W/$name.sum")"
}

# ---------------------------------------------------------------------------

step "A 64 MiB disk: a loop device over a file"
mkdir -p "$W"
truncate -s 64M "$W/disk.img"
LOOP=$(losetup --show -f "$W/disk.img")
echo "$LOOP"

step "Make it a cowsnap volume, /dev/mapper/demo, with ext4 and some files"
run cowsnapctl create demo "$LOOP"
# Inode tables and journal written now, not by a kernel thread later:
# the incrementals below then hold only what the demo changes.
run mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 \
	/dev/mapper/demo
mkdir -p "$MNT"
run mount /dev/mapper/demo "$MNT"
mkdir "$MNT/data"
for i in 1 2 3 4; do
	dd if=/dev/urandom of="$MNT/data/file$i" bs=64k count=16 2>/dev/null
done
sync
(cd "$MNT/data" && sha256sum file* > "$W/files1.sha256")
cat "$W/files1.sha256"

step "Watch it for I/O errors and track its changed blocks, still mounted"
run cowsnapctl filter attach demo
run cowsnapctl cbt enable demo --block-size 65536
run cowsnapctl status demo

step "Night 1: the first backup into an empty directory is full"
backup night1 --json
[ "$(key "$W/night1.json" kind)" = full ] || die "the first backup is not full"
# A full point's data file is the whole volume: its SHA-256 in the
# manifest is the volume's.
p1=$(key "$W/night1.json" point)
[ "$(key "$BK/$p1/manifest.json" sha256)" = "$(cat "$W/night1.sum")" ] ||
	die "the manifest's SHA-256 is not the volume's"
echo "the manifest of $p1 holds the volume's SHA-256"
run ls -ls "$BK/$p1"
echo "(demo.img is sparse: the blocks it uses, first column, are the data)"

step "Day 2: change a file, add one, delete one"
dd if=/dev/urandom of="$MNT/data/file2" bs=64k count=4 conv=notrunc 2>/dev/null
dd if=/dev/urandom of="$MNT/data/file5" bs=64k count=8 2>/dev/null
run rm "$MNT/data/file4"
sync
(cd "$MNT/data" && sha256sum file* > "$W/files2.sha256")
cat "$W/files2.sha256"

step "Night 2: the next backup copies only the blocks that changed"
backup night2 --json
p2=$(key "$W/night2.json" point)
[ "$(key "$W/night2.json" kind)" = incremental ] ||
	die "the second backup is not incremental"
copied=$(key "$W/night2.json" bytes_copied)
size=$(key "$W/night2.json" size)
echo "copied $copied bytes of the volume's $size ($((copied * 1000 / size / 10)).$((copied * 1000 / size % 10)) %)"
[ "$copied" -gt 0 ] && [ $((copied * 20)) -lt "$size" ] ||
	die "an incremental of a few files should copy under 5 % of the volume"
run ls -ls "$BK" "$BK/$p2"
show_manifest "$BK/$p2/manifest.json"

step "Check every point of the backup directory: the chain and every checksum"
run cowsnapctl verify "$BK"
[ -z "$(cowsnapctl snapshot list)" ] ||
	die "a backup left its snapshot set: $(cowsnapctl snapshot list)"
echo "(no snapshot set is left: each backup destroyed its own)"

step "Restore both points onto two new disks of the volume's size"
truncate -s "$size" "$W/restored1.img" "$W/restored2.img"
R1=$(losetup --show -f "$W/restored1.img")
R2=$(losetup --show -f "$W/restored2.img")
runq cowsnapctl restore --from "$BK" --at 1 --to "$R1"
runq cowsnapctl restore --from "$BK" --at "$p2" --to "$R2" --json
for n in 1 2; do
	eval dev=\$R$n
	got=$(devsum "$dev")
	want=$(cat "$W/night$n.sum")
	echo "point $n: $dev    SHA-256 $got"
	echo "         the volume at night $n: SHA-256 $want"
	[ "$got" = "$want" ] || die "$dev differs from the volume at night $n"
done
echo "each restored disk is the volume, bit for bit, as it was at its backup"
for n in 1 2; do
	eval dev=\$R$n
	mkdir -p /mnt/restored
	run mount -o ro "$dev" /mnt/restored
	(cd /mnt/restored/data && run sha256sum -c "$W/files$n.sha256")
	run umount /mnt/restored
done

step "A restore never writes over a device in use: the mounted volume"
if cowsnapctl restore --from "$BK" --to /dev/mapper/demo; then
	die "the restore wrote over the mounted volume"
else
	rc=$?
fi
echo "exit status $rc"
[ "$rc" -eq 4 ] || die "expected exit status 4 (in use)"
run losetup -d "$R1"
R1=
run losetup -d "$R2"
R2=

step "A damaged backup is found, and never restored"
delta=$BK/$p2/demo.delta
cp "$delta" "$W/delta.orig"
for c in x y; do	# one byte changed, whatever it was
	printf "$c" | dd of="$delta" bs=1 seek=4096 conv=notrunc 2>/dev/null
	cmp -s "$delta" "$W/delta.orig" || break
done
echo "(one byte of $delta changed)"
if run cowsnapctl verify "$BK"; then
	die "verify did not see the damage"
fi
if runq cowsnapctl restore --from "$BK" --to "$W/never.img"; then
	die "the restore used a damaged backup"
fi
[ ! -e "$W/never.img" ] || die "the failed restore left $W/never.img"
echo "verify and restore both refused; the restore wrote nothing"
cp "$W/delta.orig" "$delta"

step "Day 3: a sector beneath the mounted filesystem goes bad"
cowsnapctl events demo --follow --count 1 --timeout 60 > "$W/events" &
WATCH=$!
sleep 1
# The first block of file3 on the disk, in 512-byte sectors.
bad=$(filefrag -v -b512 "$MNT/data/file3" |
      awk '$1 == "0:" { sub(/\.\..*/, "", $4); print $4; exit }')
[ -n "$bad" ] || die "cannot find file3 on the disk"
dsize=$(blockdev --getsz /dev/mapper/demo-real)
echo "file3 starts at sector $bad; sectors $bad..$((bad + 7)) now fail"
dmsetup table demo-real > "$W/demo-real.table"
printf '0 %s linear %s 0\n%s 8 error\n%s %s linear %s %s\n' \
	"$bad" "$LOOP" "$bad" "$((bad + 8))" "$((dsize - bad - 8))" \
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
cat "$W/events"
grep -q " read $bad " "$W/events" || die "event does not name sector $bad"
run cowsnapctl events demo --json

step "The disk is replaced: the error range goes away, the files are intact"
run dmsetup load demo-real "$W/demo-real.table"
run dmsetup suspend demo-real
run dmsetup resume demo-real
echo 3 > /proc/sys/vm/drop_caches
(cd "$MNT/data" && run sha256sum -c "$W/files2.sha256")
run cowsnapctl filter detach demo

step "What a backup reads: a snapshot of the live filesystem, taken while a writer runs"
# The writer appends numbered lines to a log, one every few milliseconds.
( i=0; while :; do i=$((i + 1)); echo "line $i" >> "$MNT/data/live.log"; done ) &
WRITER=$!
sleep 1
(cd "$MNT/data" && sha256sum file1 file2 file3 file5 > "$W/snap.sha256")
mkdir -p "$W/store"
run cowsnapctl snapshot create demo --name nightly --store "$W/store" \
	--store-size 16M --store-limit 128M
run cowsnapctl snapshot list

step "Mount the image read-only and read it, while the origin is written"
run e2fsck -fn /dev/mapper/demo@nightly
mkdir -p /mnt/snap
run mount -o ro /dev/mapper/demo@nightly /mnt/snap
# Rewrite file1 on the origin: 4 MiB the snapshot must not see.
dd if=/dev/urandom of="$MNT/data/file1" bs=64k count=64 conv=notrunc 2>/dev/null
sync
(cd /mnt/snap/data && run sha256sum -c "$W/snap.sha256")
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
run umount /mnt/snap
run cowsnapctl snapshot destroy nightly

step "What an incremental copies: exactly the blocks written, raw, beneath no filesystem"
run umount "$MNT"
run cowsnapctl cbt checkpoint demo > "$W/checkpoint"
cat "$W/checkpoint"
since=$(awk '$1 == "frozen:" { print $2 }' "$W/checkpoint")
[ -n "$since" ] || die "no frozen number from the checkpoint"
for blk in 100 101 500 1023; do
	dd if=/dev/urandom of=/dev/mapper/demo bs=64k count=1 seek=$blk \
		oflag=direct conv=notrunc 2>/dev/null
done
echo "wrote 64 KiB blocks 100, 101, 500 and 1023"
run cowsnapctl cbt checkpoint demo
run cowsnapctl cbt changes demo --since "$since"
got=$(cowsnapctl cbt changes demo --since "$since" |
      awk 'NF == 4 && $1 ~ /^[0-9]+$/ { printf "%s+%s ", $3, $4 }')
echo "ranges (start+blocks): $got"
[ "$got" = "100+2 500+1 1023+1 " ] || die "expected exactly 100+2 500+1 1023+1"
echo "the incremental holds exactly the blocks written, nothing else"

step "Remove the tracker and the volume; nothing is left"
run cowsnapctl cbt disable demo
run cowsnapctl remove demo
run losetup -d "$LOOP"
LOOP=
dmsetup ls | grep -qx 'No devices found' || die "dm devices left: $(dmsetup ls)"

step "Done: a full backup and an incremental of a mounted filesystem, the incremental copying $copied of $size bytes; both points restored bit for bit; a damaged backup refused; a failed read reported with its sector as it happened; a snapshot holding one instant while the volume was rewritten; and change tracking that found exactly the blocks written."
