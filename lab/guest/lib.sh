# Shell functions for the lab guest's boot bodies (sourced by /init).

# Console log levels: quiet holds every kernel message off the console (it
# stays in the kernel log, printed at the end); errors_only lets through
# errors and worse (hung tasks, soft lockups, oopses, panics), so a test
# that hangs still shows why on the console.
quiet() { read -r LAB_LVL LAB_REST < /proc/sys/kernel/printk; echo 1 > /proc/sys/kernel/printk; }
errors_only() { read -r LAB_LVL LAB_REST < /proc/sys/kernel/printk; echo 4 > /proc/sys/kernel/printk; }
loud() { echo "$LAB_LVL" > /proc/sys/kernel/printk; }

# lab_suite NAME COMMAND...: run a suite with its output streamed to the
# console between markers, so a crash shows which test was running.
lab_suite() {
	n=$1; shift
	read -r t0 rest < /proc/uptime
	errors_only
	echo "### lab: begin $n"
	"$@" 2>&1
	rc=$?
	read -r t1 rest < /proc/uptime
	echo "### lab: took $n $t0 $t1"
	echo "### lab: end $n rc=$rc"
	loud
}

# lab_skip_suite NAME REASON: a suite that is not built for this target,
# shown as one skipped suite (the judge checks it is an expected skip).
lab_skip_suite() {
	quiet
	echo "### lab: begin $1"
	echo "TAP version 13"
	echo "1..0 # SKIP $2"
	echo "### lab: end $1 rc=0"
	loud
}

# lab_command SCRIPT: run a shell script between the markers tools/lab and
# make demo look for, with kernel messages held off the console.
lab_command() {
	quiet
	echo '### lab: command begin'
	sh "$1"
	echo "### lab: command end rc=$?"
	loud
}
