// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: the monitor of a snapshot set: its socket, and starting a
 * program detached (see snapshot.h).
 *
 * A monitor binds the abstract unix socket "@cowsnap-monitor/ID": binding
 * fails while another one holds it, so a set has at most one monitor, and
 * the socket goes with the process, so nothing is left behind.  A peer
 * that connects learns the monitor's pid (SO_PEERCRED); one of root or
 * the monitor's user that writes "stop" makes it exit, and reads end of
 * file when it is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "snapshot.h"
#include "util.h"

#define MONITOR_SOCKET		"cowsnap-monitor/"
#define MONITOR_STOP		"stop\n"
#define SPAWN_TIMEOUT_MS	10000

/* ------------------------------------------------------------------------
 * The socket
 * ---------------------------------------------------------------------- */

static socklen_t monitor_addr(const char *id, struct sockaddr_un *a)
{
	int n;

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1,
		     MONITOR_SOCKET "%s", id);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

int cs_snap_monitor_listen(const char *id)
{
	struct sockaddr_un a;
	socklen_t len = monitor_addr(id, &a);
	int fd, r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cs_error_set(-errno, id, "cannot make a socket: %s",
				    strerror(errno));
	if (!bind(fd, (struct sockaddr *)&a, len) && !listen(fd, 4))
		return fd;
	r = errno == EADDRINUSE ?
	    cs_error_set(-EEXIST, id, "a monitor of this snapshot set runs already (pid %d)",
			 (int)cs_snap_monitor_pid(id)) :
	    cs_error_set(-errno, id, "cannot bind the monitor socket: %s",
			 strerror(errno));
	close(fd);
	return r;
}

int cs_snap_monitor_accept(int fd)
{
	struct pollfd pfd = { .events = POLLIN };
	struct ucred cred = { .uid = (uid_t)-1 };
	socklen_t len = sizeof(cred);
	char buf[16] = "";
	ssize_t n = 0;
	int c;

	c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return 0;
	pfd.fd = c;
	/* Only root or our own user may stop us. */
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    (cred.uid != 0 && cred.uid != geteuid()))
		pfd.events = 0;
	if (pfd.events && poll(&pfd, 1, 200) == 1)
		n = read(c, buf, sizeof(buf) - 1);
	if (n > 0 && !strncmp(buf, MONITOR_STOP, strlen(MONITOR_STOP)))
		return 1;	/* @c stays open: the peer sees EOF at exit */
	close(c);
	return 0;
}

static int monitor_connect(const char *id)
{
	struct sockaddr_un a;
	socklen_t len = monitor_addr(id, &a);
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, len)) {
		close(fd);
		return -errno;
	}
	return fd;
}

pid_t cs_snap_monitor_pid(const char *id)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	fd = monitor_connect(id);
	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		cred.pid = 0;
	close(fd);
	return cred.pid;
}

int cs_snap_monitor_stop(const char *id, int timeout_ms)
{
	struct pollfd pfd = { .events = POLLIN };
	char buf[16];
	int fd, r;

	fd = monitor_connect(id);
	if (fd < 0)
		return 0;		/* none runs */
	cs_log(1, "%s: stopping the monitor", id);
	pfd.fd = fd;
	r = write(fd, MONITOR_STOP, strlen(MONITOR_STOP)) < 0 ? -errno : 0;
	while (!r) {
		r = poll(&pfd, 1, timeout_ms);
		if (r == 1 && read(fd, buf, sizeof(buf)) > 0)
			r = 0;		/* not gone yet */
		else if (r == 1)
			r = 1;		/* end of file: it exited */
		else
			r = -ETIMEDOUT;
	}
	close(fd);
	if (r == -ETIMEDOUT)
		return cs_error_set(r, id, "the monitor did not stop within %d ms",
				    timeout_ms);
	return 0;
}

/* ------------------------------------------------------------------------
 * Starting a program detached
 * ---------------------------------------------------------------------- */

static __attribute__((noreturn)) void exec_detached(int out, const char *path,
						    char *const argv[])
{
	int fd;

	if (chdir("/") || setenv(CS_DETACHED_ENV, "1", 1))
		_exit(127);
	fd = open("/dev/null", O_RDWR);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	close_range(3, ~0U, 0);
	signal(SIGPIPE, SIG_DFL);
	execv(path, argv);
	dprintf(1, "cannot execute %s: %s\n", path, strerror(errno));
	_exit(127);
}

/* Read the program's first line; Return: 0 if it starts with @ready. */
static int read_ready(int fd, const char *ready, const char *path)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char line[384];
	size_t len = 0;
	ssize_t n = 1;

	while (len < sizeof(line) - 1 && !memchr(line, '\n', len) && n > 0) {
		if (poll(&pfd, 1, SPAWN_TIMEOUT_MS) != 1)
			return cs_error_set(-ETIMEDOUT, path,
					    "did not start within %d s",
					    SPAWN_TIMEOUT_MS / 1000);
		n = read(fd, line + len, sizeof(line) - 1 - len);
		if (n > 0)
			len += (size_t)n;
	}
	line[len] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (!strncmp(line, ready, strlen(ready)))
		return 0;
	return cs_error_set(-ECHILD, path, "did not start: %s",
			    len ? line : "it exited");
}

int cs_spawn_daemon(const char *path, char *const argv[], const char *ready)
{
	pid_t child;
	int p[2], status, r;

	if (pipe2(p, O_CLOEXEC))
		return cs_error_set(-errno, path, "pipe: %s", strerror(errno));
	child = fork();
	if (child < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		return cs_error_set(r, path, "fork: %s", strerror(-r));
	}
	if (!child) {
		if (setsid() < 0 || (child = fork()) < 0)
			_exit(127);
		if (child)
			_exit(0);
		exec_detached(p[1], path, argv);
	}
	close(p[1]);
	(void)waitpid(child, &status, 0);
	r = read_ready(p[0], ready, path);
	close(p[0]);
	return r;
}
