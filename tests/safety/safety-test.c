// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the safety suites (see safety-test.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "safety-test.h"

const struct sf_user sf_nobody = { .uid = SF_NOBODY, .gid = SF_NOBODY };

/* In the child: become @u for good. */
static int become(const struct sf_user *u)
{
	return setgroups((size_t)u->nr_groups, u->groups) ||
	       setresgid(u->gid, u->gid, u->gid) ||
	       setresuid(u->uid, u->uid, u->uid) ? -1 : 0;
}

static int wait_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int sf_run_as(const struct sf_user *u, char *const *argv, char *out,
	      size_t size)
{
	size_t len = 0;
	int pfd[2];
	ssize_t n;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		if (become(u))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	while (len < size - 1 &&
	       (n = read(pfd[0], out + len, size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(pfd[0]);
	return wait_status(pid);
}

int sf_sh_as(const struct sf_user *u, const char *cmd, char *out,
	     size_t size)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };

	return sf_run_as(u, argv, out, size);
}

/* In the child: 0 the data matches, 1 other data, 2 + errno's code. */
static int read_child(const char *path, uint32_t seed)
{
	void *got = tl_alloc_aligned(SF_LEN);
	int fd = open(path, O_RDONLY | O_DIRECT);

	if (fd < 0)
		return errno == EACCES ? 2 : 3;
	if (pread(fd, got, SF_LEN, SF_OFF) != SF_LEN ||
	    tl_pattern_check(got, SF_LEN, seed, SF_OFF) >= 0)
		return 1;
	return 0;
}

int sf_read_as(const struct sf_user *u, const char *path, uint32_t seed)
{
	pid_t pid;
	int r;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid)
		_exit(become(u) ? 4 : read_child(path, seed));
	r = wait_status(pid);
	return r == 0 ? 0 : r == 2 ? EACCES : r == 3 ? EIO : -1;
}

bool sf_write_check(const char *path, uint32_t seed)
{
	void *buf = tl_alloc_aligned(SF_LEN);
	bool ok;
	int fd;

	tl_pattern_fill(buf, SF_LEN, seed, SF_OFF);
	fd = open(path, O_RDWR | O_DIRECT);
	ok = fd >= 0 && pwrite(fd, buf, SF_LEN, SF_OFF) == SF_LEN;
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok && sf_read_check(path, seed);
}

bool sf_read_check(const char *path, uint32_t seed)
{
	void *got = tl_alloc_aligned(SF_LEN);
	int fd = open(path, O_RDONLY | O_DIRECT);
	bool ok;

	ok = fd >= 0 && pread(fd, got, SF_LEN, SF_OFF) == SF_LEN &&
	     tl_pattern_check(got, SF_LEN, seed, SF_OFF) < 0;
	if (fd >= 0)
		close(fd);
	free(got);
	return ok;
}
