#!/bin/busybox sh
# The lab guest's /init: mount what the tests need, run the boot's body
# (/etc/lab/body.sh, written by lab/initramfs.py), then print the kernel log
# and the end marker the judge looks for, and power off.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/lab
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
. /etc/lab/env
. /etc/lab/lib.sh
# Every DMA-API debug error, not only the first one, reaches the console.
[ -w /sys/kernel/debug/dma-api/all_errors ] && echo 1 > /sys/kernel/debug/dma-api/all_errors
# kmemleak: forget what boot left behind, so that the final scan reports
# only what the tests leaked (LAB_KMEMLEAK=0 skips both scans). Its
# automatic scan every 10 minutes is stopped: a leak stays a leak until the
# final scan, and each scan took a guest CPU for up to a minute (6.1, KASAN).
KML=/sys/kernel/debug/kmemleak
[ -w $KML ] && [ "${LAB_KMEMLEAK:-1}" = 1 ] || KML=/nonexistent
if [ -w $KML ]; then echo scan=off > $KML; echo scan > $KML; echo clear > $KML; fi
echo "### lab: booted $(uname -r)"
cd /lab
. /etc/lab/body.sh
if [ -w $KML ]; then
	# Objects younger than 5 s are not reported yet: let the last ones age.
	sleep 5; echo scan > $KML
	quiet; echo "### lab: kmemleak"; cat $KML; loud
fi
quiet
echo "### lab: kernel log"
dmesg
echo "### lab: done"
loud
sync
$LAB_POWEROFF
