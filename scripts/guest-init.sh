#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test guest: mount the pseudo file systems, run the command in
# /dn/cmd, print the whole kernel log between markers for the host to scan,
# print the command's exit status and power off.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
ip link set lo up	# redis-server and its benchmark talk over loopback
export PATH=/dn/bin:/dn/selftests:/sbin:/bin:/usr/sbin:/usr/bin
export HOME=/root
cd /tmp || exit 1

echo "DN-GUEST: $(uname -r): $(cat /dn/cmd)"
sh -c "$(cat /dn/cmd)" < /dev/null
rc=$?
sync
echo "DN-DMESG-BEGIN"
dmesg
echo "DN-DMESG-END"
echo "DN-EXIT-STATUS=$rc"
poweroff -f
