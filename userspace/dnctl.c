// SPDX-License-Identifier: GPL-2.0
/*
 * dnctl - show and set disagg_node's run-time settings.
 *
 *   dnctl status              every file of /sys/kernel/mm/disagg_node
 *   dnctl get NAME            one value
 *   dnctl set NAME VALUE      write one value (remote_pct, latency_ns)
 *
 * Exit status: 0 on success, 1 when the module is not loaded or the kernel
 * refused the value, 2 on bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DN_SYSFS "/sys/kernel/mm/disagg_node"

static int usage(void)
{
	fprintf(stderr, "usage: dnctl status | get NAME | set NAME VALUE\n");
	return 2;
}

static int valid_name(const char *name)
{
	return name[0] && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

static int show(const char *name, int with_name)
{
	char path[256], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), DN_SYSFS "/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "dnctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		fprintf(stderr, "dnctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	buf[n] = '\0';
	if (with_name)
		printf("%-14s %s", name, buf);
	else
		fputs(buf, stdout);
	return 0;
}

static int status(void)
{
	struct dirent **list;
	int i, n, ret = 0;

	n = scandir(DN_SYSFS, &list, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "dnctl: %s: %s (is disagg_node loaded?)\n",
			DN_SYSFS, strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (list[i]->d_name[0] != '.')
			ret |= show(list[i]->d_name, 1);
		free(list[i]);
	}
	free(list);
	return ret;
}

static int set(const char *name, const char *value)
{
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), DN_SYSFS "/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "dnctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (write(fd, value, strlen(value)) < 0) {
		fprintf(stderr, "dnctl: %s=%s refused: %s (see dmesg)\n", name,
			value, strerror(errno));
		ret = 1;
	}
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "status"))
		return status();
	if (argc == 3 && !strcmp(argv[1], "get") && valid_name(argv[2]))
		return show(argv[2], 0);
	if (argc == 4 && !strcmp(argv[1], "set") && valid_name(argv[2]))
		return set(argv[2], argv[3]);
	return usage();
}
