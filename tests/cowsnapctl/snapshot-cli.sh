#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# cowsnapctl snapshot in the VM (run by test-snapshot-cli, or alone with
# tests/vm/run --script): a set of two volumes, one of them a mounted ext4,
# the other with a change tracker; the data on the images (checksums, cmp);
# list, info, wait, extend, destroy; writes through an image reaching the
# tracker; a store on a volume of the set refused; undo of a failed create;
# growth by the monitor (file and directory stores); a full store; destroy
# of an open image with and without --force.
set -u
FAILS=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
run() { printf '$ %s\n' "$*"; "$@" || bad "exit $?: $*"; }
want_rc() {
	w=$1; shift
	printf '$ %s   (want exit %s)\n' "$*" "$w"
	"$@"; rc=$?
	[ "$rc" -eq "$w" ] && ok "exit $rc" || bad "exit $rc, want $w: $*"
}
check() {	# check DESCRIPTION COMMAND...: the command must succeed
	d=$1; shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
jkey() {	# jkey KEY: the first number or string value of KEY in stdin
	grep -o "\"$1\": *[^,}]*" | head -n 1 | sed 's/^[^:]*: *//; s/"//g'
}
info() { cowsnapctl snapshot info "$1" --json | jkey "$2"; }
wr() {		# wr DEV MIB_OFFSET MIB: random data
	dd if=/dev/urandom of="$1" bs=1M seek="$2" count="$3" conv=notrunc,fsync 2>/dev/null
}
half() {	# half DEV N: random data in the Nth 512 KiB
	dd if=/dev/urandom of="$1" bs=512K seek="$2" count=1 conv=notrunc,fsync 2>/dev/null
}
devices() { dmsetup ls | cut -f1 | sort | tr '\n' ' '; }
nloops() { losetup -a | wc -l; }
rows() {	# the ranges of "cbt changes" as "start_byte length;"
	cowsnapctl cbt changes "$@" | awk '$1 ~ /^[0-9]+$/ { print $1, $2 }' | tr '\n' ';'
}

M1=/mnt/snap-v1 MI=/mnt/snap-img
# JSON outputs kept for test-snapshot-cli to parse: $JSON-create, -list,
# -info, -wait.
JSON=${SNAPSHOT_JSON:-/tmp/cowsnap-snapjson}
L1= L2= L3= L4=
cleanup() {
	set +e
	umount "$MI" 2>/dev/null
	umount "$M1" 2>/dev/null
	for s in $(cowsnapctl snapshot list --json |
		   sed -n 's/^ *"set": "\(.*\)",$/\1/p'); do
		cowsnapctl snapshot destroy "$s" --force
	done
	cowsnapctl cbt disable v2 2>/dev/null
	cowsnapctl remove v1 2>/dev/null
	cowsnapctl remove v2 2>/dev/null
	[ -n "$L1" ] && losetup -d "$L1"
	[ -n "$L2" ] && losetup -d "$L2"
	[ -n "$L3" ] && losetup -d "$L3"
	[ -n "$L4" ] && losetup -d "$L4"
	rm -f /tmp/v1.img /tmp/st3.img /tmp/st4.img /tmp/v2.img /tmp/v2.before /tmp/sums /tmp/wait.out \
	      /tmp/s2.img /tmp/ext.img /tmp/create.json
}
trap cleanup EXIT

echo "==> v1: 64 MiB, ext4, mounted, two files; v2: 32 MiB of data, cbt"
truncate -s 64M /tmp/v1.img
truncate -s 32M /tmp/v2.img
L1=$(losetup -f --show /tmp/v1.img)
L2=$(losetup -f --show /tmp/v2.img)
run cowsnapctl create v1 "$L1"
run cowsnapctl create v2 "$L2"
# No lazy init: its background writes would fill the store.
mke2fs -q -t ext4 -F -E lazy_itable_init=0,lazy_journal_init=0 /dev/mapper/v1
mkdir -p "$M1" "$MI"
run mount /dev/mapper/v1 "$M1"
dd if=/dev/urandom of="$M1/a" bs=64k count=32 2>/dev/null
dd if=/dev/urandom of="$M1/b" bs=64k count=16 2>/dev/null
sync
(cd "$M1" && sha256sum a b >/tmp/sums)
wr /dev/mapper/v2 0 32
dd if=/dev/mapper/v2 of=/tmp/v2.before bs=1M 2>/dev/null
run cowsnapctl cbt enable v2
run cowsnapctl cbt checkpoint v2

echo "==> refused: no such volume, a store on the set, help"
BEFORE="$(devices)" LOOPS=$(nloops)
want_rc 0 cowsnapctl snapshot --help
want_rc 3 cowsnapctl snapshot create v1 nosuchvol --store /tmp
want_rc 1 cowsnapctl snapshot create v1 v2 --store "$M1/store.img" --store-size 8M
check "message names v1" sh -c "cowsnapctl snapshot create v1 v2 --store $M1/store.img 2>&1 | grep -q 'lies on v1'"
check "no file left on v1" test ! -e "$M1/store.img"
want_rc 1 cowsnapctl snapshot create v1 v2 --store "$L2"
check "message names v2" sh -c "cowsnapctl snapshot create v1 v2 --store $L2 2>&1 | grep -q 'lies on v2'"
want_rc 1 cowsnapctl snapshot create v1 --store /dev/mapper/v1
want_rc 3 cowsnapctl snapshot info nosuchset
want_rc 3 cowsnapctl snapshot destroy nosuchset
want_rc 3 cowsnapctl snapshot wait nosuchset --timeout 1

echo "==> a create that fails half-way is undone (v2 suspended)"
run dmsetup suspend v2
want_rc 4 cowsnapctl snapshot create v1 v2 --store /tmp --store-size 8M
run dmsetup resume v2
check "dm devices as before" test "$(devices)" = "$BEFORE"
check "loops as before" test "$(nloops)" = "$LOOPS"
check "v1 as before" sh -c "dmsetup table v1 | grep -q ' linear '"

echo "==> snapshot set s1 of v1 and v2, store: an unnamed file in /tmp"
run cowsnapctl snapshot create v1 v2 --store /tmp --store-size 24M --name s1
run dmsetup ls
run cowsnapctl status v1
run cowsnapctl status v2
want_rc 4 cowsnapctl snapshot create v1 --store /tmp --name s9
want_rc 4 cowsnapctl snapshot create v2 --store /tmp --name s1
run cowsnapctl snapshot list
run cowsnapctl snapshot list --json
cowsnapctl snapshot list --json >"$JSON-list"
run cowsnapctl snapshot info s1
run cowsnapctl snapshot info s1 --json
cowsnapctl snapshot info s1 --json >"$JSON-info"
check "state valid" test "$(info s1 state)" = valid
check "store 24 MiB" test "$(info s1 store_size_sectors)" = 49152
check "chunk 64 KiB" test "$(info s1 chunk_size)" = 65536
check "no monitor" test "$(info s1 monitor_pid)" = null
check "store is an unnamed file" sh -c 'cowsnapctl snapshot info s1 --json | grep -q "\"kind\": \"unnamed\""'
check "cbt checkpoint at the snapshot" test "$(cowsnapctl cbt info v2 | awk '$1 == "frozen:" { print $2 }')" = 2

echo "==> wait: the low_space event of 20 MiB of copies"
cowsnapctl snapshot wait s1 --timeout 60 >/tmp/wait.out 2>&1 &
WAIT=$!
sleep 1
wr /dev/mapper/v2 0 20
wait $WAIT
check "wait exit 0" test $? -eq 0
cat /tmp/wait.out
check "low_space reported" grep -q ' low_space - ' /tmp/wait.out
SEQ=$(awk '{ print $1 }' /tmp/wait.out)
want_rc 5 cowsnapctl snapshot wait s1 --timeout 2
run cowsnapctl snapshot info s1

echo "==> extend: another unnamed file, then a named file"
run cowsnapctl snapshot extend s1 --size 16M
check "store 40 MiB" test "$(info s1 store_size_sectors)" = 81920
run cowsnapctl snapshot wait s1 --after "$SEQ" --timeout 5 --json
cowsnapctl snapshot wait s1 --after "$SEQ" --timeout 5 --json >"$JSON-wait"
check "store_grown reported" sh -c "cowsnapctl snapshot wait s1 --after $SEQ --timeout 5 | grep -q ' store_grown - 81920'"
run cowsnapctl snapshot extend s1 --store /tmp/ext.img --size 4M
check "store 44 MiB" test "$(info s1 store_size_sectors)" = 90112
run cowsnapctl snapshot info s1
check "three segments" test "$(cowsnapctl snapshot info s1 --json | grep -c '"kind"')" = 3
want_rc 1 cowsnapctl snapshot extend s1 --store "$M1/x.img" --size 4M

echo "==> change v1's files; the images keep the old data"
dd if=/dev/urandom of="$M1/a" bs=64k count=32 conv=notrunc 2>/dev/null
rm "$M1/b"
dd if=/dev/urandom of="$M1/c" bs=64k count=16 2>/dev/null
sync
check "v1 changed" sh -c "cd $M1 && ! sha256sum -c /tmp/sums >/dev/null 2>&1"
run mount -o ro,noload /dev/mapper/v1@s1 "$MI"
check "files on the image as at the snapshot" sh -c "cd $MI && sha256sum -c /tmp/sums"
run umount "$MI"
check "image of v2 as at the snapshot" cmp /dev/mapper/v2@s1 /tmp/v2.before
check "v2 itself changed" sh -c '! cmp -s /dev/mapper/v2 /tmp/v2.before'
check "still valid" test "$(info s1 state)" = valid

echo "==> write through the image of v2; destroy refused while v1@s1 is mounted"
dd if=/dev/urandom of=/dev/mapper/v2@s1 bs=64k seek=384 count=1 conv=fsync 2>/dev/null
check "written 1 chunk" sh -c 'cowsnapctl snapshot info s1 --json | grep -q "\"written\": 1"'
run mount -o ro,noload /dev/mapper/v1@s1 "$MI"
want_rc 4 cowsnapctl snapshot destroy s1
check "message names the image" sh -c 'cowsnapctl snapshot destroy s1 2>&1 | grep -q "v1@s1: is open"'
run umount "$MI"
run cowsnapctl snapshot destroy s1
check "dm devices as before" test "$(devices)" = "$BEFORE"
check "loops as before" test "$(nloops)" = "$LOOPS"
check "v1 files intact" sh -c "cd $M1 && test -f a && test -f c && test ! -e b"
run cowsnapctl cbt checkpoint v2
run cowsnapctl cbt changes v2 --since 2
check "tracker has origin and image writes" test "$(rows v2 --since 2)" = "0 20971520;25165824 65536;"
rm -f /tmp/ext.img

echo "==> monitor: a file store of 4 MiB that grows up to 32 MiB"
cowsnapctl snapshot create v1 --store /tmp/s2.img --store-size 4M --store-limit 32M --name s2 --json >"$JSON-create"
check "created s2" test $? -eq 0
cat "$JSON-create"
PID=$(info s2 monitor_pid)
check "monitor runs" kill -0 "$PID"
want_rc 4 cowsnapctl snapshot monitor s2
i=0
while [ $i -lt 16 ]; do
	dd if=/dev/urandom of="$M1/big$i" bs=64k count=8 conv=fsync 2>/dev/null
	sleep 1
	i=$((i + 1))
done
run cowsnapctl snapshot info s2
check "still valid" test "$(info s2 state)" = valid
check "store grew" test "$(info s2 store_size_sectors)" -gt 8192
check "one file segment" test "$(cowsnapctl snapshot info s2 --json | grep -c '"kind": "file"')" = 1
run cowsnapctl snapshot destroy s2
sleep 1
check "monitor gone" sh -c "! kill -0 $PID 2>/dev/null"
check "dm devices as before" test "$(devices)" = "$BEFORE"
check "loops as before" test "$(nloops)" = "$LOOPS"
check "store file kept" test -f /tmp/s2.img
rm -f /tmp/s2.img

echo "==> monitor: a directory store grows by more unnamed files"
run cowsnapctl snapshot create v2 --store /tmp --store-size 4M --store-limit 16M --name s3
i=0
while [ $i -lt 12 ]; do half /dev/mapper/v2 $i; sleep 1; i=$((i + 1)); done
run cowsnapctl snapshot info s3
check "still valid" test "$(info s3 state)" = valid
check "more than one segment" test "$(cowsnapctl snapshot info s3 --json | grep -c '"kind": "unnamed"')" -gt 1
run cowsnapctl snapshot destroy s3
check "dm devices as before" test "$(devices)" = "$BEFORE"

echo "==> a full store: the set is corrupted, the volume keeps working"
run cowsnapctl snapshot create v2 --store /tmp --store-size 1M --name s4
wr /dev/mapper/v2 0 4
check "origin writes pass" test $? -eq 0
run cowsnapctl snapshot info s4
check "corrupted" test "$(info s4 state)" = corrupted
check "error 28" test "$(info s4 error)" = 28
run cowsnapctl snapshot wait s4 --after 0 --timeout 5
check "corrupted event" sh -c 'cowsnapctl snapshot wait s4 --after 0 --timeout 5 | grep -q " corrupted "'
check "image fails" sh -c '! dd if=/dev/mapper/v2@s4 of=/dev/null bs=4k count=1 2>/dev/null'
run cowsnapctl snapshot list
run cowsnapctl snapshot destroy s4

echo "==> a block device store; more space from another block device"
truncate -s 8M /tmp/st3.img
truncate -s 4M /tmp/st4.img
L3=$(losetup -f --show /tmp/st3.img)
L4=$(losetup -f --show /tmp/st4.img)
LOOPS=$(nloops)
run cowsnapctl snapshot create v2 --store "$L3" --name s6
check "store 8 MiB" test "$(info s6 store_size_sectors)" = 16384
check "a block segment" sh -c 'cowsnapctl snapshot info s6 --json | grep -q "\"kind\": \"block\""'
want_rc 1 cowsnapctl snapshot extend s6
check "says why" sh -c 'cowsnapctl snapshot extend s6 2>&1 | grep -q "ends with block device"'
run cowsnapctl snapshot extend s6 --store "$L4"
check "store 12 MiB" test "$(info s6 store_size_sectors)" = 24576
run cowsnapctl snapshot info s6
run cowsnapctl snapshot destroy s6
check "dm devices as before" test "$(devices)" = "$BEFORE"
check "block devices free again" sh -c "losetup -d $L3 && losetup -d $L4"
L3= L4=
LOOPS=$(nloops)

echo "==> --force: an open image fails all I/O and goes once closed"
run cowsnapctl snapshot create v1 --store /tmp --name s5
run mount -o ro,noload /dev/mapper/v1@s5 "$MI"
run cowsnapctl snapshot destroy s5 --force
check "image has an error table" sh -c 'dmsetup table v1@s5 | grep -q " error"'
check "v1 has no origin layer" sh -c '! dmsetup info v1-origin >/dev/null 2>&1'
umount "$MI" 2>/dev/null || umount -l "$MI"
sleep 1
check "image gone once closed" sh -c '! dmsetup info v1@s5 >/dev/null 2>&1'
check "dm devices as before" test "$(devices)" = "$BEFORE"
check "loops as before" test "$(nloops)" = "$LOOPS"
run cowsnapctl snapshot list

echo "==> the volumes are intact"
run umount "$M1"
check "fsck v1 clean" e2fsck -fn /dev/mapper/v1

echo "==> failures: $FAILS"
[ "$FAILS" -eq 0 ]
