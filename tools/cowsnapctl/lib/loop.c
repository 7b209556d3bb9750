// SPDX-License-Identifier: GPL-2.0
/*
 * libcowsnap: loop devices over the files of a snapshot store (see
 * loop.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/fs.h>
#include <linux/loop.h>

#include "loop.h"
#include "util.h"

#define LOOP_CONTROL		"/dev/loop-control"
#define LOOP_TRIES		64

/* ------------------------------------------------------------------------
 * Attaching
 * ---------------------------------------------------------------------- */

/* Kernels before 5.8: LOOP_SET_FD, then the flags and the name. */
static int loop_set_fd(int lfd, int ffd, const char *name)
{
	struct loop_info64 info;
	int r;

	if (ioctl(lfd, LOOP_SET_FD, ffd))
		return -errno;
	memset(&info, 0, sizeof(info));
	info.lo_flags = LO_FLAGS_AUTOCLEAR;
	snprintf((char *)info.lo_file_name, LO_NAME_SIZE, "%s", name);
	if (ioctl(lfd, LOOP_SET_STATUS64, &info)) {
		r = -errno;
		(void)ioctl(lfd, LOOP_CLR_FD, 0);
		return r;
	}
	(void)ioctl(lfd, LOOP_SET_DIRECT_IO, 1UL);	/* best effort */
	return 0;
}

static int loop_configure(int lfd, int ffd, const char *name)
{
	struct loop_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = (__u32)ffd;
	cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO;
	snprintf((char *)cfg.info.lo_file_name, LO_NAME_SIZE, "%s", name);
	if (!ioctl(lfd, LOOP_CONFIGURE, &cfg))
		return 0;
	if (errno == EINVAL) {
		/* A kernel that refuses direct I/O on this file. */
		cfg.info.lo_flags &= ~LO_FLAGS_DIRECT_IO;
		if (!ioctl(lfd, LOOP_CONFIGURE, &cfg))
			return 0;
	}
	if (errno != EINVAL && errno != ENOTTY)
		return -errno;
	return loop_set_fd(lfd, ffd, name);
}

/* Open a free loop device and bind it; Return: its descriptor or -errno. */
static int bind_free_loop(int ctl, int ffd, const char *name, char *path)
{
	int i, n, lfd, r = -EBUSY;

	for (i = 0; i < LOOP_TRIES && r == -EBUSY; i++) {
		n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0)
			return cs_error_set(-errno, LOOP_CONTROL,
					    "no free loop device: %s",
					    strerror(errno));
		snprintf(path, PATH_MAX, "/dev/loop%d", n);
		lfd = open(path, O_RDWR | O_CLOEXEC);
		if (lfd < 0)
			return cs_error_set(-errno, path, "cannot open: %s",
					    strerror(errno));
		r = loop_configure(lfd, ffd, name);
		if (!r)
			return lfd;
		close(lfd);
	}
	return cs_error_set(r, path, "cannot attach %s: %s", name,
			    strerror(-r));
}

int cs_loop_attach(int ffd, const char *name, struct cs_devno *dev,
		   char *path, uint64_t *sectors)
{
	uint64_t bytes;
	struct stat st;
	int ctl, lfd;

	ctl = open(LOOP_CONTROL, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return cs_error_set(-errno, LOOP_CONTROL,
				    "cannot open: %s (is the loop module loaded?)",
				    strerror(errno));
	lfd = bind_free_loop(ctl, ffd, name, path);
	close(ctl);
	if (lfd < 0)
		return lfd;
	if (fstat(lfd, &st) || ioctl(lfd, BLKGETSIZE64, &bytes)) {
		int r = -errno;

		close(lfd);	/* autoclear: the loop goes with it */
		return cs_error_set(r, path, "cannot read: %s", strerror(-r));
	}
	dev->major = major(st.st_rdev);
	dev->minor = minor(st.st_rdev);
	*sectors = bytes >> 9;
	cs_log(1, "%s: attached to %s", path, name);
	return lfd;
}

/* ------------------------------------------------------------------------
 * Reading, resizing
 * ---------------------------------------------------------------------- */

int cs_loop_backing(struct cs_devno dev, char *buf, size_t size)
{
	char path[96];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/loop/backing_file",
		 dev.major, dev.minor);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return n > 0;
}

bool cs_loop_autoclear(struct cs_devno dev)
{
	char path[96], c = '0';
	int fd;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/loop/autoclear",
		 dev.major, dev.minor);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '1';
}

int cs_loop_backing_fs(const char *path, struct cs_devno *fs)
{
	struct loop_info64 info;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, LOOP_GET_STATUS64, &info))
		r = -errno;
	close(fd);
	if (r)
		return r;
	fs->major = major((dev_t)info.lo_device);
	fs->minor = minor((dev_t)info.lo_device);
	return 0;
}

int cs_loop_set_capacity(const char *path, uint64_t *sectors)
{
	uint64_t bytes;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cs_error_set(-errno, path, "cannot open: %s",
				    strerror(errno));
	if (ioctl(fd, LOOP_SET_CAPACITY, 0) || ioctl(fd, BLKGETSIZE64, &bytes))
		r = cs_error_set(-errno, path, "cannot resize: %s",
				 strerror(errno));
	close(fd);
	if (!r)
		*sectors = bytes >> 9;
	return r;
}
