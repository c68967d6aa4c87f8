// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel log: /dev/kmsg from a point on, and signs of a kernel
 * problem in its records.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dn_kmsg.h"

/*
 * Signs of a kernel problem in a record (the patterns of
 * scripts/check-dmesg.sh, as substrings).
 */
static const char * const dn_kmsg_bad[] = {
	"WARNING:", "BUG:", "BUG kmalloc", "Oops", "Call Trace",
	"soft lockup", "hard LOCKUP", "self-detected stall",
	"rcu: INFO:", "blocked for more than", "Kernel panic",
	"general protection fault", "kernel BUG at", "UBSAN:",
	"list_add corruption", "list_del corruption",
};

/* Does @line show a kernel problem?  1 or 0. */
int dn_kmsg_line_bad(const char *line)
{
	size_t i;

	for (i = 0; i < sizeof(dn_kmsg_bad) / sizeof(dn_kmsg_bad[0]); i++)
		if (strstr(line, dn_kmsg_bad[i]))
			return 1;
	return 0;
}

/* A /dev/kmsg reader positioned at the end of the log; -1 on error. */
int dn_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * One record of the log after the last one read, NUL-terminated; its
 * length, or 0 when there is none.  Records overwritten before they were
 * read are skipped.
 */
static ssize_t dn_kmsg_next(int fd, char *rec, size_t len)
{
	ssize_t n;

	for (;;) {
		n = read(fd, rec, len - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			return 0;
		rec[n] = '\0';
		return n;
	}
}

/* Was a record with @needle logged since the last read (or the open)? */
bool dn_kmsg_has(int fd, const char *needle)
{
	bool found = false;
	char rec[2048];

	while (dn_kmsg_next(fd, rec, sizeof(rec)))
		if (strstr(rec, needle))
			found = true;
	return found;
}

/*
 * Records logged since the last read that show a kernel problem
 * (dn_kmsg_line_bad()); the first one
 * is copied into @first.
 */
long dn_kmsg_problems(int fd, char *first, size_t len)
{
	char rec[2048];
	long found = 0;

	if (len)
		first[0] = '\0';
	while (dn_kmsg_next(fd, rec, sizeof(rec))) {
		if (!dn_kmsg_line_bad(rec))
			continue;
		if (!found++ && len) {
			strncpy(first, rec, len - 1);
			first[len - 1] = '\0';
		}
	}
	return found;
}
