#!/bin/sh
# cowsnapctl cbt in the VM (run by test-cbt-cli, or alone with
# tests/vm/run --script): every command, the
# stack with the filter in both orders, an incremental backup checked with
# cmp, a generation reset, a mounted volume.
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
rows() {	# the ranges of "cbt changes" as "start_byte length start_block blocks"
	cowsnapctl cbt changes "$@" | awk '$1 ~ /^[0-9]+$/ { print $1, $2, $3, $4 }' | tr '\n' ';'
}
wr() {		# wr DEV BLOCK COUNT: random data in 4 KiB blocks
	dd if=/dev/urandom of="$1" bs=4096 seek="$2" count="$3" conv=notrunc,fsync 2>/dev/null
}
infokey() { cowsnapctl cbt info "$1" | awk -v k="$2:" '$1 == k { print $2 }'; }

MNT=/mnt/cbt
LA= LB=
cleanup() {
	set +e
	umount "$MNT" 2>/dev/null
	cowsnapctl remove v 2>/dev/null
	cowsnapctl remove w 2>/dev/null
	[ -n "$LA" ] && losetup -d "$LA"
	[ -n "$LB" ] && losetup -d "$LB"
	rm -f /tmp/a.img /tmp/b.img /tmp/backup.img /tmp/map.bin
}
trap cleanup EXIT

echo "==> a volume of 8 MiB + 512 bytes (last 4 KiB block is partial)"
truncate -s $((8 * 1024 * 1024 + 512)) /tmp/a.img
LA=$(losetup -f --show /tmp/a.img)
run cowsnapctl create v "$LA"
want_rc 4 cowsnapctl cbt info v
want_rc 4 cowsnapctl cbt disable v
want_rc 2 cowsnapctl cbt enable v --block-size 5000
run cowsnapctl cbt enable v
want_rc 4 cowsnapctl cbt enable v
run cowsnapctl status v
run cowsnapctl list
run cowsnapctl status v --json
run cowsnapctl cbt info v
run cowsnapctl cbt info v --json
want_rc 4 cowsnapctl cbt changes v
want_rc 4 cowsnapctl cbt map v

echo "==> checkpoint 1 (nothing written), then writes, checkpoint 2"
run cowsnapctl cbt checkpoint v
check "nothing changed before checkpoint 1" test "$(rows v)" = ""
run cowsnapctl cbt changes v
wr /dev/mapper/v 0 1
wr /dev/mapper/v 5 2
run cowsnapctl cbt checkpoint v --json
run cowsnapctl cbt changes v --since 1
check "changes after 1" test "$(rows v --since 1)" = "0 4096 0 1;20480 8192 5 2;"
check "changes after 0 (same)" test "$(rows v --since 0)" = "0 4096 0 1;20480 8192 5 2;"
check "changes after 2 (none)" test "$(rows v --since 2)" = ""

echo "==> the partial last block"
dd if=/dev/urandom of=/dev/mapper/v bs=512 seek=16384 count=1 conv=notrunc,fsync 2>/dev/null
run cowsnapctl cbt checkpoint v
run cowsnapctl cbt changes v --since 2
check "tail block clipped to 512 bytes" test "$(rows v --since 2)" = "8388608 512 2048 1;"
run cowsnapctl cbt changes v --since 1 --json
check "JSON totals" sh -c 'cowsnapctl cbt changes v --since 1 --json | grep -q "\"total_bytes\": 12800"'

echo "==> map"
run cowsnapctl cbt map v
run cowsnapctl cbt map v --json
run cowsnapctl cbt map v --output /tmp/map.bin
check "map file has frozen_blocks bytes" test "$(stat -c %s /tmp/map.bin)" = "$(infokey v frozen_blocks)"
check "map bytes" test "$(od -An -tu1 -v /tmp/map.bin | tr -s ' \n' '  ' | awk '{ print $1, $5, $6, $7, $8, $2049 }')" = "2 0 2 2 0 3"
want_rc 4 cowsnapctl cbt map v --output /dev/null

echo "==> mark-dirty"
run cowsnapctl cbt mark-dirty v 100:8 16384:1
want_rc 2 cowsnapctl cbt mark-dirty v 16385:1
want_rc 2 cowsnapctl cbt mark-dirty v 5:0
want_rc 2 cowsnapctl cbt mark-dirty v
run cowsnapctl cbt checkpoint v
check "marked ranges" test "$(rows v --since 3)" = "49152 8192 12 2;8388608 512 2048 1;"
want_rc 4 cowsnapctl cbt changes v --since 9
want_rc 2 cowsnapctl cbt changes v --since 256

echo "==> incremental backup: full copy now, then copy only the changes"
dd if=/dev/mapper/v of=/tmp/backup.img bs=65536 2>/dev/null
dd if=/dev/mapper/v of=/tmp/backup.img bs=512 skip=16384 seek=16384 count=1 conv=notrunc 2>/dev/null
check "full copy" cmp /dev/mapper/v /tmp/backup.img
PREV=$(infokey v frozen)
for b in 1 7 8 9 300 1024 2047; do wr /dev/mapper/v $b 1; done
dd if=/dev/urandom of=/dev/mapper/v bs=512 seek=16384 count=1 conv=notrunc,fsync 2>/dev/null
run cowsnapctl cbt checkpoint v
run cowsnapctl cbt changes v --since "$PREV"
cowsnapctl cbt changes v --since "$PREV" | awk '$1 ~ /^[0-9]+$/ { print $1, $2 }' |
while read off len; do
	dd if=/dev/mapper/v of=/tmp/backup.img bs=512 skip=$((off / 512)) \
	   seek=$((off / 512)) count=$((len / 512)) conv=notrunc 2>/dev/null
done
check "incremental copy equals the volume" cmp /dev/mapper/v /tmp/backup.img

echo "==> cbt, then filter on top; disable cbt below the filter"
FROZEN=$(infokey v frozen)
run cowsnapctl filter attach v
run cowsnapctl status v
check "tracker handed over" test "$(infokey v frozen)" = "$FROZEN"
wr /dev/mapper/v 100 1
run cowsnapctl cbt checkpoint v
check "tracking through the filter" test "$(rows v --since "$FROZEN")" = "409600 4096 100 1;"
run cowsnapctl cbt disable v
run cowsnapctl status v
check "v-cbt gone" sh -c '! dmsetup info v-cbt >/dev/null 2>&1'
check "filter still there" sh -c 'cowsnapctl status v --json | grep -q "\"filter\": true"'

echo "==> filter, then cbt on top; detach the filter below cbt"
run cowsnapctl cbt enable v --block-size 65536
run cowsnapctl status v
check "new tracker" test "$(infokey v frozen)" = "0"
check "block size" test "$(infokey v block_size)" = "65536"
run cowsnapctl cbt checkpoint v
wr /dev/mapper/v 40 1
run cowsnapctl filter detach v
run cowsnapctl status v
check "v-real gone" sh -c '! dmsetup info v-real >/dev/null 2>&1'
run cowsnapctl cbt checkpoint v
check "tracked across the filter detach" test "$(rows v --since 1)" = "131072 65536 2 1;"
run cowsnapctl cbt disable v
run cowsnapctl status v
run dmsetup ls
want_rc 4 cowsnapctl cbt disable v

echo "==> a generation reset after 255 checkpoints, events"
run cowsnapctl cbt enable v
cowsnapctl cbt events v --follow --count 1 --timeout $((60 * ${COWSNAP_TIME_FACTOR:-1})) --json >/tmp/follow.out 2>&1 &
FOLLOW=$!
sleep 1
i=0
while [ $i -lt 254 ]; do cowsnapctl cbt checkpoint v >/dev/null || bad "checkpoint $i"; i=$((i + 1)); done
run cowsnapctl cbt info v
wr /dev/mapper/v 3 1
run cowsnapctl cbt checkpoint v
run cowsnapctl cbt info v
check "current restarted" test "$(infokey v current)" = "1"
run cowsnapctl cbt changes v --since 254
run cowsnapctl cbt events v
run cowsnapctl cbt events v --json
check "generation_reset event" sh -c 'cowsnapctl cbt events v | grep -q generation_reset'
wait $FOLLOW; echo "follow exit $?"; cat /tmp/follow.out
check "--follow saw it" grep -q generation_reset /tmp/follow.out
run cowsnapctl cbt checkpoint v
check "new generation frozen 1" test "$(infokey v frozen)" = "1"
run cowsnapctl cbt changes v --since 0
run cowsnapctl cbt disable v

echo "==> a mounted ext4 volume"
truncate -s 64M /tmp/b.img
LB=$(losetup -f --show /tmp/b.img)
run cowsnapctl create w "$LB"
mke2fs -q -t ext4 -F /dev/mapper/w
mkdir -p "$MNT"
run mount /dev/mapper/w "$MNT"
dd if=/dev/urandom of="$MNT/a" bs=64k count=16 2>/dev/null
sync
run cowsnapctl cbt enable w
run cowsnapctl cbt checkpoint w
dd if=/dev/urandom of="$MNT/b" bs=64k count=16 2>/dev/null
sync
(cd "$MNT" && sha256sum a b >/tmp/sums)
run cowsnapctl filter attach w
run cowsnapctl cbt checkpoint w
run cowsnapctl cbt changes w --since 1
run cowsnapctl cbt map w
run cowsnapctl cbt disable w
run cowsnapctl filter detach w
run cowsnapctl status w
check "files intact" sh -c "cd $MNT && sha256sum -c /tmp/sums"
run umount "$MNT"
check "fsck clean" e2fsck -fn /dev/mapper/w

echo "==> failures: $FAILS"
[ "$FAILS" -eq 0 ]
