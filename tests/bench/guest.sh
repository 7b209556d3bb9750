#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench, guest side: run by tests/bench/run through "tests/vm/run
# --script" in the test VM.  It measures and prints; it judges nothing.
# Every figure is one line on stdout (the VM's results port):
#
#   @B <group> <config> <workload> <metric> <unit> <round> <value>
#   @F <group> <config> <workload> <round> <reason>     (not measured)
#   @M <key> <value...>                                  (the machine)
#   @B-END                                               (all sections ran)
#
# and "# ..." progress lines.  tests/bench/report turns them into ratios.
# Every configuration of a group is measured in the same round, one after
# the other, and the order turns from round to round (A B C, B C A, ...),
# so that a drift of the machine hits every configuration alike.
#
# The backing store is RAM: loop devices over files in /tmp (tmpfs), the
# same file for every configuration of a group.  Settings (tests/bench/run
# puts them in front of this file): ROUNDS, RUNTIME (seconds of a
# time-based fio run), SECTIONS (which groups to run), PROFILE (globs of
# GROUP/CONFIG/WORKLOAD to profile; empty: none).  With PROFILE the
# pass-through, snapshot and image groups run an extra round 0 first, in
# which only the workloads PROFILE names run, under "perf record", and
# nothing is recorded: the rounds measured are not slowed by the sampling.
# A profile is printed as lines
#
#   @P <group>/<config>/<workload> <kind> <line of perf report>
#
# (kind: flat, threads, callers).

# bash for $EPOCHREALTIME (microseconds) and arrays; /bin/sh is dash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

ROUNDS=${ROUNDS:-3}
RUNTIME=${RUNTIME:-3}
SECTIONS=${SECTIONS:-"passthrough snapshot image memory freeze backup"}
PROFILE=${PROFILE:-}

W=/tmp/cowsnap-bench
VOL_MB=256			# the volume of the I/O groups
STORE_MB=288			# the snapshot store: every chunk, and metadata
CHUNK=65536			# snapshot chunk size (issue: the same for all)
HALF_CHUNKS=$((VOL_MB * 1048576 / CHUNK / 2))
SZ=$((VOL_MB * 2048))		# sectors

LOOP=''			# loop device over $W/base.img
STLOOP=''		# loop over $W/store.img while dm-snapshot uses it

note() { echo "# $*"; }
rec() { echo "@B $*"; }
fail() { echo "@F $*"; }

# The time now in microseconds, in $NOW (no subshell: it is timed).
now() { NOW=${EPOCHREALTIME/./}; }

cleanup() {
	local s
	for s in $(cowsnapctl snapshot list 2>/dev/null |
		   awk 'NR > 1 { print $1 }'); do
		cowsnapctl snapshot destroy "$s" --force >/dev/null 2>&1
	done
	dmsetup remove_all --force >/dev/null 2>&1
	losetup -D 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

# A file of $2 MiB written whole (real tmpfs pages, not holes).
mkfile() {
	dd if=/dev/zero of="$1" bs=1M count="$2" 2>/dev/null
}

# The configurations in the order of round $1 (rotated by one per round).
rotate() {
	local r=$1 n i
	shift
	n=$#
	local a=("$@")
	for ((i = 0; i < n; i++)); do
		printf '%s\n' "${a[$(((i + r) % n))]}"
	done
}

# --------------------------------------------------------------------------
# fio

FIO_COMMON=(--name=bench --ioengine=libaio --direct=1 --iodepth=4
	    --output-format=terse --terse-version=3 --randrepeat=0)

# The fio arguments of a workload.
fio_args() {
	case $1 in
	randwrite4k) echo "--rw=randwrite --bs=4k --norandommap" \
			  "--time_based --runtime=$RUNTIME" ;;
	randread4k) echo "--rw=randread --bs=4k --norandommap" \
			 "--time_based --runtime=$RUNTIME" ;;
	seqwrite1m) echo "--rw=write --bs=1M --time_based --runtime=$RUNTIME" ;;
	seqread1m) echo "--rw=read --bs=1M --time_based --runtime=$RUNTIME" ;;
	# one 4 KiB write into each chunk of the first half, random order
	firstwrite4k) echo "--read_iolog=$W/first4k.iolog" \
			   "--replay_no_stall=1 --runtime=10" ;;
	# 1 MiB writes over the second half, once
	firstwrite1m) echo "--rw=write --bs=1M" \
			   "--offset=$((VOL_MB / 2))M --size=$((VOL_MB / 2))M" \
			   "--runtime=10" ;;
	*) return 1 ;;
	esac
}

# fio_run DEV WORKLOAD: one run; sets IOPS and MIBS (reads or writes,
# whichever the workload did).  Fails on a fio error.
fio_run() {
	local dev=$1 wl=$2 out redirect=()

	[[ $wl == firstwrite4k ]] && redirect=(--replay_redirect="$dev")
	# shellcheck disable=SC2046 # fio_args is a word list
	out=$("${FIO_WRAP[@]}" fio --filename="$dev" "${FIO_COMMON[@]}" $(fio_args "$wl") \
		  "${redirect[@]}" 2>"$W/fio.err" | grep '^3;') || true
	read -r IOPS MIBS < <(awk -F';' '$5 == 0 {
		if ($49 > 0) print $49, $48 / 1024; else print $8, $7 / 1024 }' \
		<<<"$out")
	[[ -n ${IOPS:-} ]] && return 0
	note "fio $wl on $dev failed: $(head -c 300 "$W/fio.err" | tr '\n' ' ')"
	return 1
}

# fio_write DEV ARGS...: fill or touch a device, not measured.
fio_write() {
	local dev=$1
	shift
	fio --name=prep --filename="$dev" --ioengine=libaio --direct=1 \
	    --iodepth=4 "$@" >/dev/null 2>"$W/fio.err" ||
		note "fio $* on $dev failed: $(head -c 300 "$W/fio.err")"
}

# --------------------------------------------------------------------------
# Profiles (PROFILE): perf record of the whole machine, software event
# cpu-clock (TCG has no PMU), call graphs; the report printed as @P lines.

FIO_WRAP=()
FIRST_ROUND=1		# 0 with PROFILE: the profiling round


profile_wanted() {	# GROUP/CONFIG/WORKLOAD
	local glob
	[[ -n $PROFILE ]] && command -v perf >/dev/null || return 1
	for glob in $PROFILE; do
		# shellcheck disable=SC2053 # a glob
		[[ $1 == $glob ]] && return 0
	done
	return 1
}

profile_setup() {
	[[ -n $PROFILE ]] || return 0
	if ! command -v perf >/dev/null; then
		note "PROFILE given but no perf in the guest: no profiles"
		return 0
	fi
	echo 0 >/proc/sys/kernel/kptr_restrict
	echo -1 >/proc/sys/kernel/perf_event_paranoid
	echo "@M perf $(perf --version)"
	FIRST_ROUND=0
	echo "@M profile $PROFILE"
}

# The I/Os each block device completed during the profiled run (reads,
# reads merged, sectors read, writes, writes merged, sectors written), to
# count the bios a layer sends down.
profile_diskstats() {	# KEY
	awk -v key="$1" 'NR == FNR { for (i = 4; i <= 11; i++) a[$3, i] = $i
				    next }
		{ r = $4 - a[$3, 4]; w = $8 - a[$3, 8]
		  if (r + w > 0)
			printf "@P %s diskstats %-12s reads %d merged %d sectors %d writes %d merged %d sectors %d\n",
			    key, $3, r, $5 - a[$3, 5], $6 - a[$3, 6], w,
			    $9 - a[$3, 9], $10 - a[$3, 10] }' \
		"$W/diskstats0" /proc/diskstats
	dmsetup info -c --noheadings -o name,minor --separator ' ' |
		awk -v key="$1" '{ printf "@P %s diskstats dm-%s is %s\n",
				   key, $2, $1 }'
}

profile_report() {	# KEY
	local key=$1 d=$W/perf.data

	if [[ ! -s $d ]]; then
		note "profile $key: no perf.data: $(head -c 300 "$W/fio.err" |
						   tr '\n' ' ')"
		return
	fi
	perf report -i "$d" --stdio --no-children --sort sym -g none \
		--percent-limit 0.3 2>/dev/null | grep -v -e '^#' -e '^$' |
		head -n 60 | sed "s|^|@P $key flat |"
	perf report -i "$d" --stdio --no-children --sort comm,dso -g none \
		--percent-limit 0.5 2>/dev/null | grep -v -e '^#' -e '^$' |
		head -n 30 | sed "s|^|@P $key threads |"
	# who calls the hot symbols (callee order: the symbol, then its
	# callers)
	perf report -i "$d" --stdio --no-children --sort sym \
		-g callee,0.5,2 --percent-limit 2 2>/dev/null |
		grep -v -e '^#' -e '^$' | head -n 400 |
		sed "s|^|@P $key callers |"
	rm -f "$d"
}

# measure GROUP CONFIG NAME FIO-WORKLOAD ROUND DEV: one figure named NAME,
# IOPS for 4 KiB workloads, MiB/s for 1 MiB ones.  Round 0 (PROFILE): the
# run under perf record if PROFILE names it, else nothing; no figure.
measure() {
	local g=$1 c=$2 wl=$3 fwl=$4 r=$5 dev=$6

	if ((r == 0)); then
		profile_wanted "$g/$c/$wl" || return 0
		FIO_WRAP=(perf record -e cpu-clock -F 997 -a -g
			  -o "$W/perf.data" --)
		cp /proc/diskstats "$W/diskstats0"
		fio_run "$dev" "$fwl" ||
			note "profile $g/$c/$wl: fio failed under perf"
		FIO_WRAP=()
		note "profile $g/$c/$wl: $IOPS IOPS, $MIBS MiB/s under perf"
		profile_diskstats "$g/$c/$wl"
		profile_report "$g/$c/$wl"
		return 0
	fi
	if ! fio_run "$dev" "$fwl"; then
		fail "$g $c $wl $r fio-failed"
		return 1
	fi
	case $wl in
	*4k) rec "$g $c $wl iops IOPS $r $IOPS" ;;
	*) rec "$g $c $wl throughput MiB/s $r $MIBS" ;;
	esac
}

# --------------------------------------------------------------------------
# Pass-through: linear, blkfilter, cbt and era directly over one loop device

PASS_CONFIGS=(linear blkfilter cbt-4k cbt-64k era-4k era-64k)
PASS_WORKLOADS=(randwrite4k randread4k seqwrite1m seqread1m)

# The table of a pass-through configuration over $LOOP.  dm-era gets a new
# metadata device each time: a fresh era, as cbt's fresh map.
pass_table() {
	case $1 in
	linear) echo "0 $SZ linear $LOOP 0" ;;
	blkfilter) echo "0 $SZ blkfilter $LOOP" ;;
	cbt-4k) echo "0 $SZ cbt $LOOP bench-trk 2 block_size 4096" ;;
	cbt-64k) echo "0 $SZ cbt $LOOP bench-trk 2 block_size 65536" ;;
	era-4k | era-64k)
		rm -f "$W/meta.img"
		mkfile "$W/meta.img" 16
		META=$(losetup --show -f "$W/meta.img") || return 1
		case $1 in
		era-4k) echo "0 $SZ era $META $LOOP 8" ;;
		*) echo "0 $SZ era $META $LOOP 128" ;;
		esac ;;
	esac
}

pass_one() {
	local c=$1 wl=$2 r=$3 table

	META=''
	if ! table=$(pass_table "$c") ||
	   ! dmsetup create bench-pt --table "$table" 2>"$W/dm.err"; then
		fail "passthrough $c $wl $r setup: $(tr '\n' ' ' <"$W/dm.err")"
		[[ -n $META ]] && losetup -d "$META"
		return
	fi
	measure passthrough "$c" "$wl" "$wl" "$r" /dev/mapper/bench-pt
	dmsetup remove bench-pt || fail "passthrough $c $wl $r remove"
	[[ -n $META ]] && losetup -d "$META"
	rm -f "$W/meta.img"
}

section_passthrough() {
	local r wl c

	note "pass-through: ${PASS_CONFIGS[*]}; ${PASS_WORKLOADS[*]}"
	for ((r = FIRST_ROUND; r <= ROUNDS; r++)); do
		for wl in "${PASS_WORKLOADS[@]}"; do
			for c in $(rotate "$r" "${PASS_CONFIGS[@]}"); do
				pass_one "$c" "$wl" "$r"
			done
		done
		note "pass-through round $r done"
	done
}

# --------------------------------------------------------------------------
# Held snapshots: cowsnap, dm-snapshot P and N, same chunk size, same store
# file; linear as the baseline.  A fresh snapshot each round and config.

SNAP_CONFIGS=(linear cowsnap snap-P snap-N)

# The dm-snapshot stack over $LOOP: bench-sv (snapshot-origin) over
# bench-sv-real, image bench-sv-snap on $STLOOP, persistence $1 (P or N).
dmsnap_up() {
	# a P store whose header is zero is new (the file held other data)
	dd if=/dev/zero of="$W/store.img" bs=64k count=2 conv=notrunc \
	   2>/dev/null &&
	STLOOP=$(losetup --show -f "$W/store.img") || return 1
	dmsetup create bench-sv-real --table "0 $SZ linear $LOOP 0" &&
	dmsetup create bench-sv-snap --table \
		"0 $SZ snapshot /dev/mapper/bench-sv-real $STLOOP $1 $((CHUNK / 512))" &&
	dmsetup create bench-sv --table \
		"0 $SZ snapshot-origin /dev/mapper/bench-sv-real"
}

dmsnap_down() {
	local d
	for d in bench-sv bench-sv-snap bench-sv-real; do
		dmsetup info "$d" >/dev/null 2>&1 && dmsetup remove "$d"
	done
	[[ -z $STLOOP ]] || losetup -d "$STLOOP"
	STLOOP=''
}

# snap_up CONFIG [CHUNK]: the volume (/dev/mapper/bench-sv) with a held
# snapshot; its image is $IMAGE.
snap_up() {
	local chunk=${2:-$CHUNK}
	IMAGE=''
	case $1 in
	linear)
		cowsnapctl create bench-sv "$LOOP" >/dev/null ;;
	cowsnap)
		cowsnapctl create bench-sv "$LOOP" >/dev/null &&
		cowsnapctl snapshot create bench-sv --name bench-s \
			--store "$W/store.img" --store-size "${STORE_MB}M" \
			--chunk-size "$chunk" >/dev/null &&
		IMAGE=/dev/mapper/bench-sv@bench-s ;;
	snap-P | snap-N)
		CHUNK=$chunk dmsnap_up "${1#snap-}" &&
		IMAGE=/dev/mapper/bench-sv-snap ;;
	esac
}

snap_down() {
	case $1 in
	linear) cowsnapctl remove bench-sv ;;
	cowsnap) cowsnapctl snapshot destroy bench-s &&
		 cowsnapctl remove bench-sv ;;
	snap-P | snap-N) dmsnap_down ;;
	esac
}

# One config, one round: first writes into uncopied chunks, then every
# chunk copied, then overwrites.
snap_one() {
	local c=$1 r=$2 dev=/dev/mapper/bench-sv wl

	if ! snap_up "$c" 2>"$W/dm.err"; then
		fail "snapshot $c all $r setup: $(tr '\n' ' ' <"$W/dm.err")"
		snap_down "$c" >/dev/null 2>&1
		return
	fi
	measure snapshot "$c" firstwrite-rand4k firstwrite4k "$r" "$dev"
	measure snapshot "$c" firstwrite-seq1m firstwrite1m "$r" "$dev"
	# one 4 KiB write into every chunk: all copied
	fio_write "$dev" --rw=write:$((CHUNK - 4096)) --bs=4k
	measure snapshot "$c" overwrite-rand4k randwrite4k "$r" "$dev"
	measure snapshot "$c" overwrite-seq1m seqwrite1m "$r" "$dev"
	snap_down "$c" >/dev/null 2>"$W/dm.err" ||
		fail "snapshot $c all $r teardown: $(tr '\n' ' ' <"$W/dm.err")"
}

section_snapshot() {
	local r c

	note "held snapshot, chunk $CHUNK: ${SNAP_CONFIGS[*]}"
	for ((r = FIRST_ROUND; r <= ROUNDS; r++)); do
		for c in $(rotate "$r" "${SNAP_CONFIGS[@]}"); do
			snap_one "$c" "$r"
		done
		note "snapshot round $r done"
	done
}

# --------------------------------------------------------------------------
# Image reads: sequential 1 MiB over the image and over its origin, with no
# chunk copied, then with every other chunk copied.

IMAGE_CONFIGS=(cowsnap snap-P)

image_one() {
	local c=$1 r=$2 dev=/dev/mapper/bench-sv

	if ! snap_up "$c" 2>"$W/dm.err"; then
		fail "image $c-image all $r setup: $(tr '\n' ' ' <"$W/dm.err")"
		snap_down "$c" >/dev/null 2>&1
		return
	fi
	measure image "$c-origin" unchanged-seq1m seqread1m "$r" "$dev"
	measure image "$c-image" unchanged-seq1m seqread1m "$r" "$IMAGE"
	fio_write "$dev" --rw=write:$((2 * CHUNK - 4096)) --bs=4k
	measure image "$c-origin" halfcopied-seq1m seqread1m "$r" "$dev"
	measure image "$c-image" halfcopied-seq1m seqread1m "$r" "$IMAGE"
	snap_down "$c" >/dev/null 2>"$W/dm.err" ||
		fail "image $c all $r teardown: $(tr '\n' ' ' <"$W/dm.err")"
}

section_image() {
	local r c

	note "image reads: ${IMAGE_CONFIGS[*]}"
	for ((r = FIRST_ROUND; r <= ROUNDS; r++)); do
		for c in $(rotate "$r" "${IMAGE_CONFIGS[@]}"); do
			image_one "$c" "$r"
		done
		note "image round $r done"
	done
}

# --------------------------------------------------------------------------
# Kernel memory: unreclaimable slab (kmalloc included) plus vmalloc, in
# bytes, after dropping the caches and letting RCU frees finish.

mem_bytes() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1
	awk '/^SUnreclaim:/ { s = $2 } /^VmallocUsed:/ { v = $2 }
	     END { print (s + v) * 1024 }' /proc/meminfo
}

# Per copied chunk: 16 KiB chunks (16 Ki of them over the volume, so that
# the growth stands well above the noise), every chunk copied once.  Two
# orders: random (one 4 KiB write into each chunk, shuffled) and
# sequential (1 MiB writes).  dm-snapshot merges the records of chunks
# that are consecutive both on the volume and in its store (up to 256 in
# one), so its sequential figure is far below its random one.
MEM_CHUNK=16384
MEM_SNAP_CONFIGS=(cowsnap snap-P snap-N)

# Bytes of each slab cache (/proc/slabinfo: objects x object size).
slab_bytes() {
	awk 'NR > 2 { print $1, $3 * $4 }' /proc/slabinfo
}

# The caches that grew most between two slab_bytes files, as notes.
slab_growth() {
	awk 'NR == FNR { a[$1] = $2; next } { d = $2 - a[$1]; if (d > 16384)
		printf "%s +%d KiB\n", $1, d / 1024 }' "$1" "$2" |
		sort -t+ -k2 -nr | head -n 6 | tr '\n' ' '
}

mem_snap_one() {	# CONFIG ORDER ROUND
	local c=$1 o=$2 r=$3 m0 m1 m2 n=$((VOL_MB * 1048576 / MEM_CHUNK)) st

	m0=$(mem_bytes)
	if ! snap_up "$c" "$MEM_CHUNK" 2>"$W/dm.err"; then
		fail "memory $c per-copied-chunk-$o $r setup: $(tr '\n' ' ' <"$W/dm.err")"
		snap_down "$c" >/dev/null 2>&1
		return
	fi
	m1=$(mem_bytes)
	slab_bytes >"$W/slab1"
	case $o in
	random) fio_write /dev/mapper/bench-sv --read_iolog="$W/mem.iolog" \
			--replay_redirect=/dev/mapper/bench-sv --replay_no_stall=1 ;;
	sequential) fio_write /dev/mapper/bench-sv --rw=write --bs=1M ;;
	esac
	m2=$(mem_bytes)
	slab_bytes >"$W/slab2"
	((r > 1)) || note "memory $c $o: slab growth:" \
		"$(slab_growth "$W/slab1" "$W/slab2")"
	rec "memory $c at-creation bytes B $r $((m1 - m0))"
	rec "memory $c per-copied-chunk-$o bytes B/chunk $r" \
	    "$(awk -v d=$((m2 - m1)) -v n=$n 'BEGIN { printf "%.1f", d / n }')"
	if [[ $c == cowsnap ]]; then
		# the target's own count (status: copied, memory)
		st=$(dmsetup status bench-sv | awk '{ print $9, $10 }')
		note "cowsnap status, $o: copied memory = $st (of $n chunks)"
		rec "memory cowsnap-status per-copied-chunk-$o bytes B/chunk $r" \
		    "$(awk -v s="$st" 'BEGIN { split(s, a); printf "%.1f", a[2] / a[1] }')"
	fi
	snap_down "$c" >/dev/null 2>&1 || fail "memory $c all $r teardown"
}

# Per tracked block: cbt and dm-era, 4 KiB blocks over a 4 GiB dm-zero
# device (1 Mi blocks), then after a checkpoint (cbt: the frozen copy).
MEM_TRACK_SECTORS=8388608
MEM_TRACK_CONFIGS=(cbt-4k era-4k)

mem_track_one() {
	local c=$1 r=$2 m0 m1 m2 n=$((MEM_TRACK_SECTORS / 8)) meta='' table

	dmsetup create bench-zero --table "0 $MEM_TRACK_SECTORS zero" || {
		fail "memory $c per-tracked-block $r zero"; return; }
	m0=$(mem_bytes)
	case $c in
	cbt-4k) table="cbt /dev/mapper/bench-zero bench-mt 2 block_size 4096" ;;
	era-4k)
		truncate -s 64M "$W/meta.img"
		meta=$(losetup --show -f "$W/meta.img")
		table="era $meta /dev/mapper/bench-zero 8" ;;
	esac
	if dmsetup create bench-mt --table "0 $MEM_TRACK_SECTORS $table" \
	   2>"$W/dm.err"; then
		m1=$(mem_bytes)
		dmsetup message bench-mt 0 checkpoint >/dev/null
		m2=$(mem_bytes)
		rec "memory $c per-tracked-block bytes B/block $r" \
		    "$(awk -v d=$((m1 - m0)) -v n=$n 'BEGIN { printf "%.3f", d / n }')"
		rec "memory $c per-tracked-block-checkpointed bytes B/block $r" \
		    "$(awk -v d=$((m2 - m0)) -v n=$n 'BEGIN { printf "%.3f", d / n }')"
		dmsetup remove bench-mt
	else
		fail "memory $c per-tracked-block $r setup: $(tr '\n' ' ' <"$W/dm.err")"
	fi
	dmsetup remove bench-zero
	[[ -n $meta ]] && losetup -d "$meta"
	rm -f "$W/meta.img"
}

section_memory() {
	local r c

	{
		echo 'fio version 2 iolog'
		echo 'bench add'
		echo 'bench open'
		seq 0 $((VOL_MB * 1048576 / MEM_CHUNK - 1)) | shuf |
			awk -v c=$MEM_CHUNK '{ print "bench write", $1 * c, 4096 }'
		echo 'bench close'
	} >"$W/mem.iolog"
	note "memory: ${MEM_SNAP_CONFIGS[*]} (chunk $MEM_CHUNK);" \
	     "${MEM_TRACK_CONFIGS[*]}"
	for ((r = 1; r <= ROUNDS; r++)); do
		for c in $(rotate "$r" "${MEM_SNAP_CONFIGS[@]}"); do
			mem_snap_one "$c" random "$r"
			mem_snap_one "$c" sequential "$r"
		done
		for c in $(rotate "$r" "${MEM_TRACK_CONFIGS[@]}"); do
			mem_track_one "$c" "$r"
		done
		note "memory round $r done"
	done
}

# --------------------------------------------------------------------------
# Freeze window: cowsnapctl snapshot create (its freeze_us: first suspend
# to last resume) against a plain suspend and resume of the same volumes.
# The plain one is the time the kernel spends in the suspend and resume
# ioctls (DM_DEV_SUSPEND, both), summed over the volumes, taken from a
# kprobe and a kretprobe on dm-ioctl's dev_suspend(): what the fastest
# tool doing nothing else would need.  "dmsetup-cli" is the window of
# "dmsetup suspend VOLS; dmsetup resume VOLS" from a shell, less the run
# time of "dmsetup version" (the process start before the first ioctl and
# the exit after the last): what a shell script gets.  "cowsnapctl-ioctls"
# is the kernel's time in the suspend and resume of the volumes within
# cowsnapctl's window (the rest of the window is the tool between them).

FREEZE_ROUNDS=$((ROUNDS < 5 ? 5 : ROUNDS))
TRACE=''

trace_up() {
	local t
	for t in /sys/kernel/tracing /sys/kernel/debug/tracing; do
		[[ -w $t/kprobe_events ]] && TRACE=$t && break
	done
	[[ -n $TRACE ]] || { note "no tracefs: no kernel-side freeze figure"; return 1; }
	# the device name: struct dm_ioctl's name[] at byte 48 of the
	# second argument; without it every dev_suspend() counts
	{ echo 'p:bench/susp_in dev_suspend name=+48(%si):string' \
		>>"$TRACE/kprobe_events" ||
	  echo 'p:bench/susp_in dev_suspend' >>"$TRACE/kprobe_events"; } &&
	echo 'r:bench/susp_out dev_suspend' >>"$TRACE/kprobe_events" &&
	echo 1 >"$TRACE/events/bench/enable" || {
		note "cannot probe dev_suspend: no kernel-side freeze figure"
		TRACE=''
		return 1
	}
}

trace_down() {
	[[ -n $TRACE ]] || return 0
	echo 0 >"$TRACE/events/bench/enable"
	echo '-:bench/susp_in' >>"$TRACE/kprobe_events"
	echo '-:bench/susp_out' >>"$TRACE/kprobe_events"
}

trace_clear() { [[ -z $TRACE ]] || : >"$TRACE/trace"; }

# Microseconds spent in dev_suspend() since trace_clear, for the devices
# named bench-f*: each entry paired with the next return of the same task.
trace_us() {
	awk '/susp_in:/ || /susp_out:/ {
		for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) t = $i
		sub(/:$/, "", t)
		task = $1
		if ($0 ~ /susp_in:/) {
			if ($0 ~ /name=/ && $0 !~ /name="bench-f[0-9]"/) next
			start[task] = t
		} else if (task in start) {
			sum += t - start[task]; delete start[task]
		}
	} END { printf "%d", sum * 1000000 }' "$TRACE/trace"
}

freeze_plain() {	# ROUND WORKLOAD VOLUMES...
	local r=$1 wl=$2 t0 t1 t2
	shift 2
	trace_clear
	now; t0=$NOW
	dmsetup suspend "$@" && dmsetup resume "$@"
	now; t1=$NOW
	dmsetup version >/dev/null
	now; t2=$NOW
	[[ -z $TRACE ]] || rec "freeze dmsetup $wl window us $r $(trace_us)"
	rec "freeze dmsetup-cli $wl window us $r $(((t1 - t0) - (t2 - t1)))"
}

freeze_cowsnap() {	# ROUND WORKLOAD VOLUMES...
	local r=$1 wl=$2 us
	shift 2
	trace_clear
	us=$(cowsnapctl snapshot create "$@" --name bench-fz \
		--store "$W/fstore.img" --store-size 64M --json 2>"$W/dm.err" |
	     sed -n 's/^ *"freeze_us": *\([0-9]*\).*/\1/p')
	if [[ -n $us ]]; then
		rec "freeze cowsnapctl $wl window us $r $us"
		[[ -z $TRACE ]] ||
			rec "freeze cowsnapctl-ioctls $wl window us $r $(trace_us)"
	else
		fail "freeze cowsnapctl $wl $r $(tr '\n' ' ' <"$W/dm.err")"
	fi
	cowsnapctl snapshot destroy bench-fz >/dev/null 2>&1
}

section_freeze() {
	local r i l vols=() loops=()

	for i in 1 2 3 4; do
		truncate -s 64M "$W/fv$i.img"
		l=$(losetup --show -f "$W/fv$i.img") &&
		loops+=("$l") &&
		cowsnapctl create "bench-f$i" "$l" >/dev/null ||
			{ fail "freeze all all 0 setup"; return; }
		vols+=("bench-f$i")
	done
	mkfile "$W/fstore.img" 64
	note "freeze window: 1 and 4 volumes, $FREEZE_ROUNDS rounds"
	trace_up
	for ((r = 1; r <= FREEZE_ROUNDS; r++)); do
		if ((r % 2)); then
			freeze_plain "$r" 1-volume bench-f1
			freeze_cowsnap "$r" 1-volume bench-f1
			freeze_plain "$r" 4-volumes "${vols[@]}"
			freeze_cowsnap "$r" 4-volumes "${vols[@]}"
		else
			freeze_cowsnap "$r" 1-volume bench-f1
			freeze_plain "$r" 1-volume bench-f1
			freeze_cowsnap "$r" 4-volumes "${vols[@]}"
			freeze_plain "$r" 4-volumes "${vols[@]}"
		fi
	done
	trace_down
	for i in 1 2 3 4; do
		cowsnapctl remove "bench-f$i" >/dev/null
	done
	losetup -d "${loops[@]}"
	rm -f "$W"/fv*.img "$W/fstore.img"
}

# --------------------------------------------------------------------------
# Backup: a 1 GiB volume, its first 128 MiB written (the rest never
# written: holes), change tracking at its default block size.  Each round:
# a full backup into an empty directory, 1 % of the volume changed, an
# incremental, 10 % changed, an incremental.  The changes are 64 KiB
# writes at distinct random places of the written part, so that the
# volume file stays within RAM.

BK_MB=1024
BK_DATA_MB=128

# Key $2 of the JSON file $1, its first occurrence (the top level's).
json_key() {
	sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" \
		"$1" | head -n 1
}

backup_one() {	# ROUND CONFIG [--full]
	local r=$1 c=$2 j=$W/backup.json
	shift 2
	if ! cowsnapctl backup bench-bk --to "$W/bk" "$@" \
	     --store "$W/bstore.img" --store-size 64M --json >"$j" \
	     2>"$W/dm.err"; then
		fail "backup $c all $r $(tr '\n' ' ' <"$W/dm.err")"
		return
	fi
	kind=$(json_key "$j" kind)
	[[ $c == full || $kind == incremental ]] ||
		note "round $r: $c backup was $kind: $(cat "$W/dm.err")"
	rec "backup $c 1GiB-volume duration ms $r $(json_key "$j" duration_ms)"
	rec "backup $c 1GiB-volume bytes B $r $(json_key "$j" bytes_copied)"
	rec "backup $c 1GiB-volume freeze us $r $(json_key "$j" freeze_us)"
}

backup_change() {	# PERCENT
	fio_write /dev/mapper/bench-bk --rw=randwrite --bs=64k \
		--size=${BK_DATA_MB}M --number_ios=$((BK_MB * 16 * $1 / 100))
}

section_backup() {
	local r l

	truncate -s ${BK_MB}M "$W/bvol.img"
	l=$(losetup --show -f "$W/bvol.img") &&
	cowsnapctl create bench-bk "$l" >/dev/null &&
	cowsnapctl cbt enable bench-bk >/dev/null ||
		{ fail "backup all all 0 setup"; return; }
	fio_write /dev/mapper/bench-bk --rw=write --bs=1M --size=${BK_DATA_MB}M
	note "backup: ${BK_MB} MiB volume, ${BK_DATA_MB} MiB written"
	for ((r = 1; r <= ROUNDS; r++)); do
		rm -rf "$W/bk"
		backup_one "$r" full --full
		backup_change 1
		backup_one "$r" incremental-1pc
		backup_change 10
		backup_one "$r" incremental-10pc
		note "backup round $r done ($(du -sm "$W/bk" | cut -f1) MiB" \
		     "in the backup directory)"
	done
	rm -rf "$W/bk"
	cowsnapctl cbt disable bench-bk >/dev/null
	cowsnapctl remove bench-bk >/dev/null
	losetup -d "$l"
	rm -f "$W/bvol.img" "$W/bstore.img"
}

# --------------------------------------------------------------------------
# Main

machine() {
	echo "@M guest_cpu $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo |
			     head -n 1)"
	echo "@M guest_cpus $(grep -c '^processor' /proc/cpuinfo)"
	echo "@M guest_kernel $(uname -r)"
	echo "@M guest_mem_kb $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
	echo "@M rounds $ROUNDS"
	echo "@M runtime_s $RUNTIME"
	echo "@M fio $(fio --version)"
}

# The I/O groups' files: the volume and the snapshot store, written whole.
io_files_up() {
	[[ -n $LOOP ]] && return 0
	mkfile "$W/base.img" "$VOL_MB" && mkfile "$W/store.img" "$STORE_MB" &&
	LOOP=$(losetup --show -f "$W/base.img") || return 1
	# the first 4 KiB write into each chunk of the first half, shuffled
	{
		echo 'fio version 2 iolog'
		echo 'bench add'
		echo 'bench open'
		seq 0 $((HALF_CHUNKS - 1)) | shuf |
			awk -v c=$CHUNK 'BEGIN { srand(6) }
			{ print "bench write", $1 * c + int(rand() * c / 4096) * 4096, 4096 }'
		echo 'bench close'
	} >"$W/first4k.iolog"
}

io_files_down() {
	[[ -n $LOOP ]] || return 0
	losetup -d "$LOOP"
	LOOP=''
	rm -f "$W/base.img" "$W/store.img" "$W/first4k.iolog"
}

rm -rf "$W"
mkdir -p "$W"
machine
profile_setup
start=$SECONDS
for s in $SECTIONS; do
	case $s in
	passthrough | snapshot | image | memory)
		io_files_up || { fail "$s all all 0 files"; continue; } ;;
	*) io_files_down ;;
	esac
	t=$SECONDS
	note "== $s"
	"section_$s"
	note "== $s took $((SECONDS - t)) s"
done
io_files_down
note "bench took $((SECONDS - start)) s"
echo "@B-END"
