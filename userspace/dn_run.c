// SPDX-License-Identifier: GPL-2.0
/*
 * dn_run - run a program as a disagg_node target.
 *
 *   dn_run [--no-thp-off] [--no-register] -- PROGRAM [ARGS...]
 *
 * Turns transparent huge pages off for the program and its children
 * (prctl(PR_SET_THP_DISABLE), inherited across fork and exec: the module
 * leaves huge pages alone) and runs PROGRAM in a child.  Once the child has
 * exec'd (a close-on-exec pipe tells), its new address space is registered
 * as a target through /sys/kernel/mm/disagg_node/target_add; registering
 * before exec would register the address space exec throws away.  Pages it
 * first touches on the remote node make it a target even sooner.  Combine
 * with numactl to choose where its memory starts:
 *
 *   numactl --membind=1 dn_run -- ./workload
 *
 * Exit status: PROGRAM's (128 + N if killed by signal N), or 127 if it
 * cannot be run or registered, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#define DN_TARGET_ADD "/sys/kernel/mm/disagg_node/target_add"

static int usage(void)
{
	fprintf(stderr, "usage: dn_run [--no-thp-off] [--no-register] -- PROGRAM [ARGS...]\n");
	return 2;
}

static int register_pid(pid_t pid)
{
	char buf[32];
	int fd, ret = 0;

	fd = open(DN_TARGET_ADD, O_WRONLY);
	snprintf(buf, sizeof(buf), "%d", pid);
	if (fd < 0 || write(fd, buf, strlen(buf)) < 0) {
		fprintf(stderr, "dn_run: %s: %s (is disagg_node loaded?)\n",
			DN_TARGET_ADD, strerror(errno));
		ret = -1;
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	int i, thp_off = 1, do_register = 1, pfd[2], err = 0, status;
	pid_t child;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-thp-off"))
			thp_off = 0;
		else if (!strcmp(argv[i], "--no-register"))
			do_register = 0;
		else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else
			break;
	}
	if (i >= argc)
		return usage();
	if (thp_off && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)) {
		perror("dn_run: prctl(PR_SET_THP_DISABLE)");
		return 127;
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		perror("dn_run: pipe2");
		return 127;
	}
	child = fork();
	if (child < 0) {
		perror("dn_run: fork");
		return 127;
	}
	if (!child) {
		close(pfd[0]);
		execvp(argv[i], argv + i);
		err = errno;
		if (write(pfd[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	/* EOF: the child exec'd; an int: exec failed with that errno. */
	if (read(pfd[0], &err, sizeof(err)) == sizeof(err)) {
		fprintf(stderr, "dn_run: %s: %s\n", argv[i], strerror(err));
		waitpid(child, NULL, 0);
		return 127;
	}
	close(pfd[0]);
	if (do_register && register_pid(child)) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return 127;
	}
	if (waitpid(child, &status, 0) < 0) {
		perror("dn_run: waitpid");
		return 127;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
