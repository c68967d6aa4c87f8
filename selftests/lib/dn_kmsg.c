// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel log: /dev/kmsg from a point on, and the patterns of
 * scripts/check-dmesg.patterns applied to its records.
 */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dn_kmsg.h"

/*
 * The extended regular expressions of scripts/check-dmesg.patterns, its
 * comments and blank lines left out: generated from it by the Makefile.
 */
static const char * const dn_kmsg_patterns[] = {
#include "dn_kmsg_patterns.h"
};

#define DN_KMSG_NPAT	(sizeof(dn_kmsg_patterns) / sizeof(dn_kmsg_patterns[0]))

/*
 * dn_kmsg_line_bad() - does @line show a kernel problem?  Matched as grep
 * -E matches each line in check-dmesg.sh: POSIX extended syntax with the
 * GNU operators (\b), unanchored.
 *
 * Return: 1 if a pattern matches, 0 if none does, -1 if a pattern does not
 * compile (the scanner must not pass a log it cannot read).
 */
int dn_kmsg_line_bad(const char *line)
{
	static regex_t re[DN_KMSG_NPAT];
	static int compiled;	/* 0 not yet, 1 done, -1 failed */
	size_t i;

	if (!compiled) {
		compiled = 1;
		for (i = 0; i < DN_KMSG_NPAT; i++) {
			if (regcomp(&re[i], dn_kmsg_patterns[i],
				    REG_EXTENDED | REG_NOSUB)) {
				fprintf(stderr, "# dn_kmsg: pattern '%s' does not compile\n",
					dn_kmsg_patterns[i]);
				compiled = -1;
			}
		}
	}
	if (compiled < 0)
		return -1;
	for (i = 0; i < DN_KMSG_NPAT; i++)
		if (!regexec(&re[i], line, 0, NULL, 0))
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
 * (dn_kmsg_line_bad(); one that cannot be scanned counts); the first one
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
