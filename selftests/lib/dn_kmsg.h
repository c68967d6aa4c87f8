/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel log, as the selftests watch it: /dev/kmsg read from a point
 * on, for a message a test expects or for a sign of a kernel problem.
 * What is a problem is scripts/check-dmesg.patterns, the one definition
 * that scripts/check-dmesg.sh applies to the guests' logs on the host:
 * the build compiles it in (dn_kmsg_patterns.h).
 */
#ifndef _DN_KMSG_H
#define _DN_KMSG_H

#include <stdbool.h>
#include <stddef.h>

int dn_kmsg_open(void);
bool dn_kmsg_has(int fd, const char *needle);
long dn_kmsg_problems(int fd, char *first, size_t len);
int dn_kmsg_line_bad(const char *line);

#endif /* _DN_KMSG_H */
