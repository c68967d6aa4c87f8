// SPDX-License-Identifier: GPL-2.0
/*
 * The selftests' environment: DN_PREFIX, the DN_* variables, time, and
 * the children a test forks.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dn_env.h"

/* DN_PREFIX, or "/dn" (where scripts/initramfs.sh puts the tree). */
const char *dn_prefix(void)
{
	const char *p = getenv("DN_PREFIX");

	return p && *p ? p : DN_PREFIX_DEFAULT;
}

/*
 * dn_path() - @rel under DN_PREFIX, e.g. dn_path("bin/dnctl").  The
 * string is one of 8 static buffers, used in turn: valid until 8 more
 * calls (enough for the arguments of one call), from one thread.
 */
const char *dn_path(const char *rel)
{
	static char buf[8][PATH_MAX];
	static unsigned int next;
	char *p = buf[next++ % 8];

	snprintf(p, PATH_MAX, "%s/%s", dn_prefix(), rel);
	return p;
}

/* An integer from the environment within [min, max], or @def. */
long dn_env_long(const char *name, long def, long min, long max)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return def;
	return v;
}

/* Is @word one of the space-separated words of @list? */
static bool dn_word_in(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = strstr(list, word); p; p = strstr(p + 1, word))
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/*
 * dn_only() - does the case filter in environment variable @var (e.g.
 * DN_SPLIT_ONLY, a space-separated list; unset or empty: every case) name
 * this case, alone (@name, every variant) or with its variant (@full,
 * "VARIANT.CASE"; NULL for a case without variants)?
 */
bool dn_only(const char *var, const char *name, const char *full)
{
	const char *only = getenv(var);

	if (!only || !*only)
		return true;
	return dn_word_in(only, name) || (full && dn_word_in(only, full));
}

void dn_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static char dn_deadline_msg[256];

static void dn_deadline_hit(int sig)
{
	ssize_t n = write(STDERR_FILENO, dn_deadline_msg,
			  strlen(dn_deadline_msg));

	(void)sig;
	(void)n;
	/* The test's process group: this process and what it forked. */
	kill(0, SIGKILL);
}

/*
 * dn_deadline_arm() - end the calling test after @seconds: print a line
 * naming @what, then SIGKILL its process group, as kselftest_harness.h
 * does at a test's timeout (the harness runs each test in a process group
 * of its own).  The harness reports the test as failed ("terminated
 * unexpectedly by signal 9").  For a timeout known only at run time; the
 * harness's own (TEST_F_TIMEOUT) is a compile-time constant.  Uses
 * alarm(): one deadline per process, not inherited by children.
 */
void dn_deadline_arm(const char *what, unsigned int seconds)
{
	snprintf(dn_deadline_msg, sizeof(dn_deadline_msg),
		 "# %s: no end after %u s: killed (its own deadline)\n", what,
		 seconds);
	signal(SIGALRM, dn_deadline_hit);
	alarm(seconds);
}

/*
 * Fork a child that runs @body(in, out, @arg) and exits 0 if it returns;
 * it is killed if the test dies first (PR_SET_PDEATHSIG).  The test
 * writes to *@to and reads from *@from.  The child's pid, or -1 (no pipe,
 * no fork).
 */
pid_t dn_fork_piped(void (*body)(int in, int out, void *arg), void *arg,
		    int *to, int *from)
{
	int down[2], up[2];
	pid_t pid;

	if (pipe(down))
		return -1;
	if (pipe(up))
		goto close_down;
	pid = fork();
	if (pid < 0)
		goto close_up;
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(down[1]);
		close(up[0]);
		body(down[0], up[1], arg);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	*to = down[1];
	*from = up[0];
	return pid;

close_up:
	close(up[0]);
	close(up[1]);
close_down:
	close(down[0]);
	close(down[1]);
	return -1;
}

/* One byte over a pipe between a test and its child; 0 or -errno. */
int dn_send(int fd, char c)
{
	return write(fd, &c, 1) == 1 ? 0 : -EPIPE;
}

/*
 * Wait up to timeout_ms for one byte on fd: the byte (0..255), -ETIMEDOUT,
 * -EPIPE when the other end is closed, or another -errno.
 */
int dn_recv(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned char c;
	ssize_t n;
	int ret;

	do
		ret = poll(&pfd, 1, timeout_ms);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return -ETIMEDOUT;
	n = read(fd, &c, 1);
	if (n == 1)
		return c;
	return n == 0 ? -EPIPE : -errno;
}

/*
 * Wait at most timeout_ms for a child to end.  *status gets the wait status.
 * 0 if it ended, -ETIMEDOUT if it still runs, -errno if waitpid failed.
 */
int dn_wait_child(pid_t pid, long timeout_ms, int *status)
{
	long long end = dn_now_ns() + timeout_ms * 1000000LL;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (dn_now_ns() >= end)
			return -ETIMEDOUT;
		dn_sleep_ms(10);
	}
}

/*
 * Reap a child, waiting at most timeout_ms before killing it (SIGKILL) and
 * reaping it anyway.  *status gets the wait status.  0 if it ended by
 * itself, -ETIMEDOUT if it had to be killed, -errno if waitpid failed.
 */
int dn_reap(pid_t pid, long timeout_ms, int *status)
{
	int ret = dn_wait_child(pid, timeout_ms, status);
	pid_t r;

	if (ret != -ETIMEDOUT)
		return ret;
	kill(pid, SIGKILL);
	while ((r = waitpid(pid, status, 0)) < 0 && errno == EINTR)
		;
	return r == pid ? -ETIMEDOUT : -errno;
}

/* Did a reaped child exit normally with status 0? */
bool dn_exited_ok(int reap_ret, int status)
{
	return reap_ret == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The state letter of /proc/PID/stat (R, S, D, Z...); 0 if unreadable. */
char dn_task_state(pid_t pid)
{
	char path[64], buf[512], *c;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	c = strrchr(buf, ')');
	return c && c[1] == ' ' ? c[2] : 0;
}

/*
 * The system call a task is blocked in, from /proc/PID/syscall (its
 * number); -1 if it is running, not in a system call, or the file is
 * unreadable.
 */
long dn_task_syscall(pid_t pid)
{
	char path[64], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || buf[0] < '0' || buf[0] > '9')
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}
