#!/bin/sh
# run-all.sh BUILD_DIR [--unit] TEST... [--e2e TEST...] - run the Check
# suites from the top of the tree and print their totals: per kind (unit
# suites test a module in the process; end-to-end ones run the binary,
# the deploy script, slapd, Postfix or a scripted server), then one
# total line. Every suite runs even when one fails.
set -u
build=$1
shift
SPLITSYNC_BIN=$build/splitsync
export SPLITSYNC_BIN
# Leak checking on; UBSan findings are fatal (compiled in as well).
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120}
export ASAN_OPTIONS UBSAN_OPTIONS CK_DEFAULT_TIMEOUT

# make valgrind: every suite (and each binary it runs) under memcheck.
# The binary the suites run goes through a wrapper, so a memory error
# in it (exit 99) fails the test that ran it.
run=
if [ -n "${SPLITSYNC_VALGRIND:-}" ]; then
	run="valgrind -q --error-exitcode=99 --leak-check=full"
	wrapper=$build/splitsync-valgrind
	printf '#!/bin/sh\nexec %s --errors-for-leak-kinds=definite "%s" "$@"\n' \
		"$run" "$(pwd)/$build/splitsync" > "$wrapper"
	chmod +x "$wrapper"
	SPLITSYNC_BIN=$wrapper
	CK_FORK=no
	export CK_FORK
fi

passed=0 failed=0 bad=
kind= kpassed=0 kfailed=0 ksuites=0
# subtotal - the line of the kind that ends here
subtotal() {
	[ -n "$kind" ] && [ "$ksuites" -gt 0 ] &&
		echo "check: $kind: $kpassed passed, $kfailed failed ($ksuites suites)"
	kpassed=0 kfailed=0 ksuites=0
}
for t in "$@"; do
	case $t in
	--unit) subtotal; kind=unit; continue ;;
	--e2e) subtotal; kind=end-to-end; continue ;;
	esac
	p0=$passed f0=$failed
	out=$($run "$build/tests/$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
	n=$(printf '%s' "$line" | sed -n 's/.*Checks: \([0-9]*\).*/\1/p')
	f=$(printf '%s' "$line" | sed -n 's/.*Failures: \([0-9]*\).*/\1/p')
	e=$(printf '%s' "$line" | sed -n 's/.*Errors: \([0-9]*\).*/\1/p')
	n=${n:-0} f=${f:-0} e=${e:-0}
	passed=$((passed + n - f - e))
	failed=$((failed + f + e))
	if [ "$rc" != 0 ] || [ -z "$line" ]; then
		bad="$bad $t"
		[ -z "$line" ] && failed=$((failed + 1))
	fi
	kpassed=$((kpassed + passed - p0)) kfailed=$((kfailed + failed - f0))
	ksuites=$((ksuites + 1))
done
subtotal
echo "check: $passed passed, $failed failed"
[ -z "$bad" ] || { echo "check: failing suites:$bad"; exit 1; }
exit 0
