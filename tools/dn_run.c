// SPDX-License-Identifier: GPL-2.0
/*
 * dn_run - run a program as a disagg_node target.
 *
 *   dn_run [--no-thp-off] [--no-register] [--born-local] -- PROGRAM [ARGS...]
 *
 * Turns transparent huge pages off for the program and its children
 * (prctl(PR_SET_THP_DISABLE), inherited across fork and exec: the module
 * leaves huge pages alone) and runs PROGRAM in a child.  Once the child has
 * exec'd (a close-on-exec pipe tells), its new address space is registered
 * as a target through /sys/kernel/mm/disagg_node/target_add; registering
 * before exec would register the address space exec throws away.  Its
 * memory is born on the remote node (MPOL_PREFERRED, while remote_pct is
 * above 0), so that the split holds while it grows, and the first remote
 * page makes it a target before its first instruction; --born-local keeps
 * the default policy.  A memory policy set by the caller is kept, e.g.:
 *
 *   numactl --membind=1 dn_run -- ./workload
 *
 * Exit status: PROGRAM's (128 + N if killed by signal N), or 127 if it
 * cannot be run or registered, 2 on bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "dn_launch.h"

static int usage(void)
{
	fprintf(stderr, "usage: dn_run [--no-thp-off] [--no-register] [--born-local] -- PROGRAM [ARGS...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	int i, thp_off = 1, do_register = 1, born_remote = 1, status;
	pid_t child;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-thp-off"))
			thp_off = 0;
		else if (!strcmp(argv[i], "--no-register"))
			do_register = 0;
		else if (!strcmp(argv[i], "--born-local"))
			born_remote = 0;
		else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else
			break;
	}
	if (i >= argc)
		return usage();
	child = dn_launch("dn_run", argv + i, thp_off, do_register,
			   born_remote);
	if (child < 0)
		return 127;
	if (waitpid(child, &status, 0) < 0) {
		perror("dn_run: waitpid");
		return 127;
	}
	return dn_exit_code(status);
}
