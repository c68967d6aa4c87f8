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
 *
 * With settings of its own (remote_pct, latency_ns, the cap remote_mib:
 * struct dn_launch_set),
 * the program must not run a single instruction at other values: the
 * child asks to be traced (PTRACE_TRACEME) before it execs, so that the
 * kernel stops it with SIGTRAP once exec has built the new address space
 * and before its first instruction; the parent registers it, writes its
 * values to targets/PID/, and lets it go (PTRACE_DETACH).  Nothing else is
 * traced: the program's own children are not (they become targets of
 * their own, with the program's settings).  Under enroll=explicit the
 * program is held so too, settings or not: only root's target_add enrolls
 * it, and it must be a target before its first instruction; the child
 * registers itself before exec too, so that the pages exec itself puts on
 * the node are the new program's to trap (its process is enrolled) rather
 * than refused.  A uid at
 * its targets_per_user is refused (EUSERS): the program is not run.
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
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define DN_TARGET_ADD "/sys/kernel/mm/disagg_node/target_add"
#define DN_NODE_ID "/sys/kernel/mm/disagg_node/node_id"
#define DN_REMOTE_PCT "/sys/kernel/mm/disagg_node/remote_pct"

#define DN_TARGETS "/sys/kernel/mm/disagg_node/targets"
#define DN_ENROLL "/sys/kernel/mm/disagg_node/enroll"
#define DN_TARGETS_PER_USER "/sys/kernel/mm/disagg_node/targets_per_user"

/* The launched program's own settings (targets/PID/), NULL: the global. */
struct dn_launch_set {
	const char *remote_pct;
	const char *latency_ns;
	const char *remote_mib;
};

/* The child could not register itself (it said why): not an errno. */
#define DN_LAUNCH_UNREGISTERED	(-4096)

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

/* 1 if the module enrolls only what root registers (enroll=explicit). */
static int dn_launch_enroll_explicit(void)
{
	char buf[16] = "";
	ssize_t n;
	int fd;

	fd = open(DN_ENROLL, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && !strncmp(buf, "explicit", 8);
}

/*
 * In the child, before exec: new memory born on the remote node, if its
 * remote_pct (@pct, its own, or else the global one) is above 0 and the
 * caller chose no memory policy.  Return: 0, or -1 with errno set.
 */
static int dn_born_remote(const char *pct)
{
	long nid = dn_launch_read(DN_NODE_ID);
	unsigned long mask[4] = { 0 };
	int mode = -1;

	if (nid < 0 || nid >= (long)(8 * sizeof(mask)) ||
	    (pct ? strtol(pct, NULL, 10) : dn_launch_read(DN_REMOTE_PCT)) <= 0)
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
		if (errno == EUSERS)
			fprintf(stderr, "%s: %s refused pid %d: its user has %ld targets already, the limit in %s\n",
				who, DN_TARGET_ADD, pid,
				dn_launch_read(DN_TARGETS_PER_USER),
				DN_TARGETS_PER_USER);
		else
			fprintf(stderr, "%s: %s: %s\n", who, DN_TARGET_ADD,
				strerror(errno));
		ret = -1;
	}
	close(fd);
	return ret;
}

/* Write @val to targets/@pid/@name.  Return: 0, or -1 with a message. */
static int dn_launch_set_one(const char *who, pid_t pid, const char *name,
			     const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), DN_TARGETS "/%d/%s", pid, name);
	fd = open(path, O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", who, path, strerror(errno));
		return -1;
	}
	if (write(fd, val, strlen(val)) < 0) {
		fprintf(stderr, "%s: %s=%s refused: %s (see dmesg)\n", who,
			path, val, strerror(errno));
		ret = -1;
	}
	close(fd);
	return ret;
}

/*
 * The child stopped before its first instruction (PTRACE_TRACEME, exec):
 * register it, write its own settings, let it go.  Return: 0, or -1 with a
 * message (the caller kills it).
 */
static int dn_launch_hold(const char *who, pid_t child,
			  const struct dn_launch_set *set)
{
	int status;

	if (waitpid(child, &status, 0) != child) {
		fprintf(stderr, "%s: waitpid: %s\n", who, strerror(errno));
		return -1;
	}
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
		fprintf(stderr, "%s: the program did not stop after exec (wait status %#x)\n",
			who, status);
		return -1;
	}
	if (dn_register_pid(who, child) ||
	    (set && set->remote_pct &&
	     dn_launch_set_one(who, child, "remote_pct", set->remote_pct)) ||
	    (set && set->latency_ns &&
	     dn_launch_set_one(who, child, "latency_ns", set->latency_ns)) ||
	    (set && set->remote_mib &&
	     dn_launch_set_one(who, child, "remote_mib", set->remote_mib)))
		return -1;
	if (ptrace(PTRACE_DETACH, child, NULL, NULL)) {
		fprintf(stderr, "%s: ptrace(PTRACE_DETACH): %s\n", who,
			strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Run argv[0] with argv as a target (THP off unless !thp_off, registered
 * unless !do_register, memory born remote unless !born_remote), with the
 * settings of its own in @set (if any: the caller registers it then)
 * written before it runs.  Return: the child's pid, or -1 with a message
 * (the child, if any, is reaped).
 */
static pid_t dn_launch(const char *who, char **argv, int thp_off,
		       int do_register, int born_remote,
		       const struct dn_launch_set *set)
{
	int explicit = do_register && dn_launch_enroll_explicit();
	int hold = (set && (set->remote_pct || set->latency_ns ||
			    set->remote_mib)) || explicit;
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
		/* Stop after exec, before the first instruction. */
		if (hold && ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			err = -errno;
		else if (explicit && dn_register_pid(who, getpid()))
			err = DN_LAUNCH_UNREGISTERED;
		else if (!born_remote ||
			 !dn_born_remote(set ? set->remote_pct : NULL))
			execvp(argv[0], argv);
		if (!err)
			err = errno;
		if (write(pfd[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	/*
	 * EOF: the child exec'd; an int: exec failed with that errno, or
	 * (negative) PTRACE_TRACEME did.
	 */
	if (read(pfd[0], &err, sizeof(err)) == sizeof(err)) {
		/* DN_LAUNCH_UNREGISTERED: the child said why. */
		if (err == DN_LAUNCH_UNREGISTERED)
			err = 0;
		else if (err < 0)
			fprintf(stderr, "%s: ptrace(PTRACE_TRACEME), to hold %s until its settings are written: %s\n",
				who, argv[0], strerror(-err));
		else
			fprintf(stderr, "%s: %s: %s\n", who, argv[0],
				strerror(err));
		close(pfd[0]);
		waitpid(child, NULL, 0);
		return -1;
	}
	close(pfd[0]);
	if (hold ? dn_launch_hold(who, child, set) :
		   do_register && dn_register_pid(who, child)) {
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
