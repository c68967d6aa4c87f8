/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Launching a program as a disagg_node target, shared by dn_run and
 * dnctl run.
 *
 * THP is turned off for the program and its children
 * (prctl(PR_SET_THP_DISABLE), inherited across fork and exec: the module
 * leaves huge pages alone) and the program runs in a child.  Once the child
 * has exec'd (a close-on-exec pipe tells), its new address space is
 * registered as a target through target_add; registering before exec would
 * register the address space exec throws away.
 */
#ifndef DN_LAUNCH_H
#define DN_LAUNCH_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define DN_TARGET_ADD "/sys/kernel/mm/disagg_node/target_add"

static int dn_register_pid(const char *who, pid_t pid)
{
	char buf[32];
	int fd, ret = 0;

	fd = open(DN_TARGET_ADD, O_WRONLY);
	snprintf(buf, sizeof(buf), "%d", pid);
	if (fd < 0 || write(fd, buf, strlen(buf)) < 0) {
		fprintf(stderr, "%s: %s: %s (is disagg_node loaded?)\n", who,
			DN_TARGET_ADD, strerror(errno));
		ret = -1;
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Run argv[0] with argv as a target (THP off unless !thp_off, registered
 * unless !do_register).  Return: the child's pid, or -1 with a message
 * (the child, if any, is reaped).
 */
static pid_t dn_launch(const char *who, char **argv, int thp_off,
		       int do_register)
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
