/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The selftests' environment: where the guest's programs are (DN_PREFIX),
 * the DN_* variables that pick cases, time, and the children a test forks.
 */
#ifndef _DN_ENV_H
#define _DN_ENV_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

/* The guest's tree: bin/ (build/user and the scripts), selftests/. */
#define DN_PREFIX_DEFAULT	"/dn"

const char *dn_prefix(void);
const char *dn_path(const char *rel);

long dn_env_long(const char *name, long def, long min, long max);
bool dn_only(const char *var, const char *name, const char *full);

static inline long long dn_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void dn_sleep_ms(long ms);

/*
 * DN_WAIT_UNTIL - evaluate @cond every @period_ms until it holds or
 * @timeout_ms have passed.  Its value: @cond's last value (true if it came
 * to hold).  For waiting on an event that a file shows (a counter that
 * moves, a task's state), not on time.
 */
#define DN_WAIT_UNTIL(cond, timeout_ms, period_ms) ({			\
	long long __end = dn_now_ns() + (long long)(timeout_ms) * 1000000;\
	bool __ok;							\
									\
	while (!(__ok = (cond)) && dn_now_ns() < __end)			\
		dn_sleep_ms(period_ms);					\
	__ok;								\
})

void dn_deadline_arm(const char *what, unsigned int seconds);

pid_t dn_fork_piped(void (*body)(int in, int out, void *arg), void *arg,
		    int *to, int *from);
int dn_send(int fd, char c);
int dn_recv(int fd, int timeout_ms);
int dn_wait_child(pid_t pid, long timeout_ms, int *status);
int dn_reap(pid_t pid, long timeout_ms, int *status);
bool dn_exited_ok(int reap_ret, int status);
char dn_task_state(pid_t pid);
long dn_task_syscall(pid_t pid);

#endif /* _DN_ENV_H */
