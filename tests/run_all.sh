#!/usr/bin/env bash
# run_all.sh BUILD - every test tier that runs on this machine, in order:
#   build (make all), format (clang-format, a test per file), unit (host cmocka), fuzz (fuzz-smoke), integration
#   (QEMU), ubsan (the malformed-packet suite on a UBSAN=1 kernel).  A
#   tier reports "passed failed" in BUILD/<tier>/results; a tier
#   whose make fails without writing results counts as 1 failed.  If the
#   build fails, integration is not run and counts as 1 failed; unit and
#   fuzz still run.  Prints a summary table and ends with exactly one line
#   "N passed, M failed".  Exit status 1 if anything failed.
set -uo pipefail

BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1
# Compile with every core (the integration tier has its own TEST_JOBS).
JOBS=$(nproc 2>/dev/null || echo 1)

total_pass=0
total_fail=0
rows=()

# run_tier NAME TARGET [RESULTS]: make TARGET, then read RESULTS
# (default BUILD/NAME/results).
run_tier() {
	local name=$1 target=$2 results=${3:-$BUILD/$1/results}
	local rc pass fail note
	rm -f "$results"
	echo "==== $name: make $target ===="
	tier_start=$SECONDS
	make -j"$JOBS" BUILD="$BUILD" "$target"
	rc=$?
	if [[ -f $results ]] && read -r pass fail _ <"$results" &&
		[[ $pass =~ ^[0-9]+$ && $fail =~ ^[0-9]+$ ]]; then
		note=ok
		((fail > 0)) && note="FAILED"
		if ((rc != 0 && fail == 0)); then
			fail=1
			note="FAILED (make exit $rc after writing results)"
		fi
	else
		pass=0 fail=1
		note="FAILED (make exit $rc, no results)"
	fi
	add_row "$name" "$pass" "$fail" "$note"
}

# add_row NAME PASSED FAILED NOTE: one summary row, with the seconds
# since tier_start.
add_row() {
	rows+=("$(printf '%-12s %7s %7s %7s  %s' "$1" "$2" "$3" \
		"$((SECONDS - tier_start))" "$4")")
	[[ $2 =~ ^[0-9]+$ ]] && total_pass=$((total_pass + $2))
	[[ $3 =~ ^[0-9]+$ ]] && total_fail=$((total_fail + $3))
}

echo "==== build: make all ===="
tier_start=$SECONDS
if make -j"$JOBS" BUILD="$BUILD" all; then
	build_ok=1
	add_row build - - ok
else
	build_ok=0
	add_row build - - "FAILED (counted under integration)"
fi

run_tier format format-check
run_tier unit unit
run_tier fuzz fuzz-smoke
if ((build_ok)); then
	run_tier integration integration
	run_tier ubsan integration-ubsan "$BUILD/ubsan/integration/results"
else
	tier_start=$SECONDS
	add_row integration 0 1 "FAILED (not run: the build failed)"
fi

echo
echo "==== test summary ($BUILD) ===="
printf '%-12s %7s %7s %7s  %s\n' tier passed failed seconds status
printf '%s\n' "${rows[@]}"
echo "$total_pass passed, $total_fail failed"
((total_fail == 0 && build_ok))
