#!/bin/sh
# broken-bindings.sh KERNEL TABLE GOOD: every case of TABLE
# (lab/broken-bindings.conf) for kernel KERNEL, judged from the kernel log,
# after the good heap GOOD has allocated, mapped and read back a buffer. TAP, one line
# a case; a case passes only if the good heap works.

kernel=$1
table=$2
good=$3

log=/tmp/broken-bindings.dmesg
dmesg > "$log"

# the cases for this kernel: the first line of each case whose pattern
# matches the kernel
cases=/tmp/broken-bindings.cases
: > "$cases"
seen=" "
while read -r case pat node kind rest; do
	case $case in '' | '#'*) continue ;; esac
	# shellcheck disable=SC2254
	case $kernel in $pat) ;; *) continue ;; esac
	case $seen in *" $case "*) continue ;; esac
	seen="$seen$case "
	printf '%s\t%s\t%s\t%s\n' "$case" "$node" "$kind" "$rest" >> "$cases"
done < "$table"

n=$(wc -l < "$cases")
echo "TAP version 13"
echo "1..$n"
if [ "$n" -eq 0 ]; then
	echo "# no case in $table for kernel $kernel"
	exit 1
fi

# the good heap of the same boot
good_ok=0
read -r t0 rest < /proc/uptime
if out=$(./rmem_heap_alloc "$good" 1048576 2>&1); then
	good_ok=1
	read -r t1 rest < /proc/uptime
	echo "# $out (uptime $t0 to $t1 s)"
else
	echo "# the good heap $good did not allocate:"
	echo "$out" | sed 's/^/#   /'
fi

# lines <node path>: ... of our driver, and those ending in "<path>: REASON"
node_lines() { grep -F ": /$1: " "$log"; }
exact() {
	awk -v suffix=": /$1: $2" '
		{ sub(/\r$/, "") }
		length($0) >= length(suffix) &&
		substr($0, length($0) - length(suffix) + 1) == suffix { n++ }
		END { print n + 0 }' "$log"
}

i=0
tab=$(printf '\t')
while IFS="$tab" read -r case node kind rest; do
	i=$((i + 1))
	why=""
	lines=$(node_lines "$node" | wc -l)
	case $kind in
	fail)
		got=$(exact "$node" "$rest")
		if [ "$got" -ne 1 ] || [ "$lines" -ne 1 ]; then
			why="expected one line \"/$node: $rest\", found $got such and $lines naming the node"
		elif [ -e "/sys/bus/platform/devices/$node/driver" ]; then
			why="$node is bound"
		fi
		;;
	probe)
		if [ ! -e "/dev/dma_heap/$rest" ]; then
			why="no /dev/dma_heap/$rest"
		elif [ "$lines" -ne 0 ]; then
			why="$lines lines name the node"
		fi
		;;
	*)
		why="unknown expectation \"$kind\" in the table"
		;;
	esac
	if [ -z "$why" ] && [ "$good_ok" -ne 1 ]; then
		why="the good heap $good did not allocate"
	fi
	if [ -z "$why" ]; then
		echo "ok $i - $case"
	else
		echo "not ok $i - $case"
		echo "# $case: $why"
		node_lines "$node" | sed 's/^/#   /'
	fi
done < "$cases"
read -r t2 rest < /proc/uptime
echo "# cases judged by uptime $t2 s"
exit 0
