/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Launching a program as a disagg_node target, for dnctl run (and dn_run,
 * its quiet form).
 *
 * THP is turned off for the program and its children
 * (prctl(PR_SET_THP_DISABLE), inherited across fork and exec: the module
 * leaves huge pages alone) and the program runs in a child.
 *
 * Its memory is born on the remote node: unless the caller chose a memory
 * policy already (numactl), the child sets MPOL_PREFERRED for the remote
 * node before it execs (inherited across exec), when remote_pct is above
 * 0.  Every page the program touches first is then allocated remote and
 * protected before the touch completes; the touch traps, pays the remote
 * latency, and the page comes home with a local victim sent the other way
 * (the seed's blade: local memory is a fixed-capacity cache), so the split
 * holds while the program grows.  A remote page born while exec sets up
 * the new program makes it a target before its first instruction; the
 * parent also registers it through target_add once it has exec'd (a
 * close-on-exec pipe tells): registering before exec would register the
 * address space exec throws away.  A program that has already exited by
 * then is not an error.
 */
#ifndef DN_LAUNCH_H
#define DN_LAUNCH_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define DN_TARGET_ADD "/sys/kernel/mm/disagg_node/target_add"
#define DN_NODE_ID "/sys/kernel/mm/disagg_node/node_id"
#define DN_REMOTE_PCT "/sys/kernel/mm/disagg_node/remote_pct"

/* From linux/mempolicy.h, without libnuma. */
#define DN_MPOL_DEFAULT		0
#define DN_MPOL_PREFERRED	1

/* A number from a sysfs file, or -1. */
static long dn_launch_read(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * In the child, before exec: new memory born on the remote node, if
 * remote_pct > 0 and the caller chose no memory policy.  Return: 0, or -1
 * with errno set.
 */
static int dn_born_remote(void)
{
	long nid = dn_launch_read(DN_NODE_ID);
	unsigned long mask[4] = { 0 };
	int mode = -1;

	if (nid < 0 || nid >= (long)(8 * sizeof(mask)) ||
	    dn_launch_read(DN_REMOTE_PCT) <= 0)
		return 0;
	if (syscall(SYS_get_mempolicy, &mode, NULL, 0, NULL, 0) ||
	    mode != DN_MPOL_DEFAULT)
		return 0;
	mask[nid / (8 * sizeof(long))] = 1UL << (nid % (8 * sizeof(long)));
	return syscall(SYS_set_mempolicy, DN_MPOL_PREFERRED, mask,
		       8 * sizeof(mask) + 1) ? -1 : 0;
}

/*
 * Register @pid.  ESRCH and EINVAL (no process, or no address space: it
 * has exited, maybe a zombie) are no error: a program that ended before
 * the parent got here ran as it should.
 */
static int dn_register_pid(const char *who, pid_t pid)
{
	char buf[32];
	int fd, ret = 0;

	fd = open(DN_TARGET_ADD, O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s (is disagg_node loaded?)\n", who,
			DN_TARGET_ADD, strerror(errno));
		return -1;
	}
	snprintf(buf, sizeof(buf), "%d", pid);
	if (write(fd, buf, strlen(buf)) < 0 && errno != ESRCH &&
	    errno != EINVAL) {
		fprintf(stderr, "%s: %s: %s\n", who, DN_TARGET_ADD,
			strerror(errno));
		ret = -1;
	}
	close(fd);
	return ret;
}

/*
 * Run argv[0] with argv as a target (THP off unless !thp_off, registered
 * unless !do_register, memory born remote unless !born_remote).  Return:
 * the child's pid, or -1 with a message (the child, if any, is reaped).
 */
static pid_t dn_launch(const char *who, char **argv, int thp_off,
		       int do_register, int born_remote)
{
	int pfd[2], err = 0;
	pid_t child;

	if (thp_off && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)) {
		fprintf(stderr, "%s: prctl(PR_SET_THP_DISABLE): %s\n", who,
			strerror(errno));
		return -1;
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		fprintf(stderr, "%s: pipe2: %s\n", who, strerror(errno));
		return -1;
	}
	child = fork();
	if (child < 0) {
		fprintf(stderr, "%s: fork: %s\n", who, strerror(errno));
		return -1;
	}
	if (!child) {
		close(pfd[0]);
		if (!born_remote || !dn_born_remote())
			execvp(argv[0], argv);
		err = errno;
		if (write(pfd[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	/* EOF: the child exec'd; an int: exec failed with that errno. */
	if (read(pfd[0], &err, sizeof(err)) == sizeof(err)) {
		fprintf(stderr, "%s: %s: %s\n", who, argv[0], strerror(err));
		close(pfd[0]);
		waitpid(child, NULL, 0);
		return -1;
	}
	close(pfd[0]);
	if (do_register && dn_register_pid(who, child)) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return -1;
	}
	return child;
}

/* A wait status as an exit code: 128 + N if killed by signal N. */
static int dn_exit_code(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

#endif
