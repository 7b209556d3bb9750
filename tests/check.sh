#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make check": the host unit tests, then the VM suites on every kernel of
# the matrix (tests/vm/run --kernel all).  Run by make after "make
# userspace".  Every result is one line, PASS or FAIL:
#
#   PASS host:unit/<program>/<suite>/<test>
#   FAIL host:unit/<program>/<suite>/<test>: <reason>
#   FAIL host:unit/<program>/{exit,timeout}: ...
#   PASS|FAIL <release>:...          (see tests/vm/run)
#
# The whole output is also in build/check.log.  The last line is
#
#   check: N passed, M failed
#
# and the exit status is 0 only when M is 0.  A crash of a program or of the
# VM run that printed no FAIL line of its own is counted as a FAIL.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOG=$TOP/build/check.log
UNIT_TIMEOUT=${COWSNAP_UNIT_TIMEOUT:-300}

# Run one host unit test program; its lines get the "host:unit/" prefix.
run_unit() {
	local prog=$1 name out rc line

	name=$(basename "$prog")
	out=$(mktemp)
	timeout -k 10 "$UNIT_TIMEOUT" "$prog" </dev/null >"$out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"PASS "* | "FAIL "*)
			echo "${line%% *} host:unit/${line#* }" ;;
		*) echo "# host:unit/$name: $line" ;;
		esac
	done <"$out"
	if ((rc == 124 || rc == 137)); then
		echo "FAIL host:unit/$name/timeout: killed after $UNIT_TIMEOUT s"
	elif ((rc > 128)); then
		echo "FAIL host:unit/$name/exit: killed by signal $((rc - 128))"
	elif ((rc != 0)) && ! grep -q '^FAIL ' "$out"; then
		echo "FAIL host:unit/$name/exit: status $rc"
	fi
	rm -f "$out"
}

run_all() {
	local src prog vmout rc

	# The programs of tests/unit/test-*.c (a stale binary does not run).
	echo "== host unit tests"
	for src in "$TOP"/tests/unit/test-*.c; do
		[[ -e $src ]] || continue
		prog=$TOP/build/host/unit/$(basename "$src" .c)
		if [[ -x $prog ]]; then
			run_unit "$prog"
		else
			echo "FAIL host:unit/$(basename "$prog")/build: not built"
		fi
	done

	echo "== VM suites"
	vmout=$(mktemp)
	"$TOP/tests/vm/run" --kernel all 2>&1 | tee "$vmout"
	rc=${PIPESTATUS[0]}
	if ((rc != 0)) && ! grep -q '^FAIL ' "$vmout"; then
		echo "FAIL vm/run: exit status $rc"
	fi
	rm -f "$vmout"
}

cd "$TOP" || exit 1
mkdir -p "$(dirname "$LOG")"
run_all 2>&1 | tee "$LOG"
passed=$(grep -c '^PASS ' "$LOG")
failed=$(grep -c '^FAIL ' "$LOG")
echo "check: $passed passed, $failed failed" | tee -a "$LOG"
((failed == 0))
