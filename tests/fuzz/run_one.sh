#!/usr/bin/env bash
# run_one.sh DIR NAME SECONDS - run DIR/fuzz_NAME for SECONDS from a copy of
# tests/fuzz/corpus/NAME (in DIR/corpus-NAME, where libFuzzer adds what it
# finds), crashes into DIR/artifacts-NAME/. Prints one line
#   fuzz: fuzz_NAME   SECONDSs, RUNS runs  ok|FAILED, see ...
# and writes it to DIR/fuzz_NAME.status (fuzz.mk counts those). fuzz.mk
# starts several of these at once (FUZZ_JOBS).
set -u
dir=$1 n=$2 secs=$3
bin=$dir/fuzz_$n log=$bin.log status=$bin.status
corpus=$dir/corpus-$n art=$dir/artifacts-$n/
rm -f "$status"
if [[ ! -x $bin ]]; then
	line="fuzz: fuzz_$n: build failed"
else
	mkdir -p "$corpus" "$art"
	if [[ -d tests/fuzz/corpus/$n ]]; then
		cp -R "tests/fuzz/corpus/$n/." "$corpus/"
	fi
	if UBSAN_OPTIONS=print_stacktrace=1 "$bin" -max_total_time="$secs" \
		-print_final_stats=1 -artifact_prefix="$art" "$corpus" \
		>"$log" 2>&1; then
		st=ok
	else
		st="FAILED, see $log and $art"
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	line=$(printf 'fuzz: %-18s %ss, %s runs  %s' "fuzz_$n" "$secs" \
		"${runs:-?}" "$st")
fi
echo "$line"
echo "$line" >"$status"
