// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl run by a normal user (uid and gid 65534, no groups, no
 * capabilities): every command that needs device-mapper fails with exit
 * status 1 and one line that says root is needed, and changes nothing
 * (the volume, its data and the dm devices are as before).
 */
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define DEV_BYTES	(16ULL << 20)

static char vol[64], loop[64], dir[128];

/* Run cowsnapctl as uid/gid 65534 with @args (NULL-terminated). */
static int run_as_user(char *const *args, char *err, size_t size)
{
	int pfd[2], status = -1;
	ssize_t n;
	size_t len = 0;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(pfd[1], 2);
		dup2(pfd[1], 1);
		close(pfd[0]);
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(126);
		execvp("cowsnapctl", args);
		_exit(127);
	}
	close(pfd[1]);
	while (len < size - 1 && (n = read(pfd[0], err + len,
					   size - 1 - len)) > 0)
		len += (size_t)n;
	err[len] = '\0';
	close(pfd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int unpriv_init(void)
{
	char *l = tl_loop_create(DEV_BYTES);

	if (!l)
		return -1;
	snprintf(loop, sizeof(loop), "%s", l);
	free(l);
	snprintf(vol, sizeof(vol), "unpriv%d", (int)getpid());
	snprintf(dir, sizeof(dir), "/tmp/unpriv-%d", (int)getpid());
	tl_defer("rm -rf %s", dir);
	tl_defer("cowsnapctl remove %s", vol);
	return tl_run(NULL, "mkdir -m 0777 %s && cowsnapctl create %s %s && "
		      "cowsnapctl cbt enable %s", dir, vol, loop, vol) ? -1 : 0;
}

static int unpriv_clean(void)
{
	tl_teardown();
	return 0;
}

static void test_commands(void)
{
	/* V: the volume, L: its loop device, D: a directory the user owns */
	static const char *const cmds[] = {
		"list", "status V", "create x L", "adopt V", "remove V",
		"filter attach V", "filter detach V", "events V", "cbt enable V",
		"cbt disable V", "cbt info V", "cbt checkpoint V",
		"cbt changes V", "cbt map V", "cbt mark-dirty V 0:8",
		"cbt events V", "snapshot create V --store D",
		"snapshot list", "snapshot info s", "snapshot wait s",
		"snapshot extend s", "snapshot destroy s",
		"snapshot monitor s", "backup V --to D/bk",
	};
	char *before = NULL, *after = NULL, err[4096], *copy, *w, *save;
	char *args[12];
	unsigned int i, bad = 0;
	int n, r;

	CU_ASSERT_FATAL(tl_run(&before, "dmsetup table; ls -la %s; "
			       "sha256sum %s", dir, loop) == 0);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		copy = strdup(cmds[i]);
		n = 0;
		args[n++] = "cowsnapctl";
		for (w = strtok_r(copy, " ", &save); w && n < 10;
		     w = strtok_r(NULL, " ", &save))
			args[n++] = !strcmp(w, "V") ? vol :
				    !strcmp(w, "L") ? loop :
				    !strcmp(w, "D") ? dir :
				    !strcmp(w, "D/bk") ? "/tmp/unpriv-bk" : w;
		args[n] = NULL;
		r = run_as_user(args, err, sizeof(err));
		printf("as uid 65534: cowsnapctl %s -> %d: %s", cmds[i], r,
		       err);
		if (r != 1 || strncmp(err, "cowsnapctl: ", 12) ||
		    !strstr(err, "root") || strchr(err, '\n') !=
		    err + strlen(err) - 1) {
			fprintf(stderr, "cowsnapctl %s as a user: exit %d, "
				"'%s'\n", cmds[i], r, err);
			bad++;
		}
		free(copy);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_FATAL(tl_run(&after, "dmsetup table; ls -la %s; "
			       "sha256sum %s", dir, loop) == 0);
	CU_ASSERT_STRING_EQUAL(before, after);
	CU_ASSERT_NOT_EQUAL(access("/tmp/unpriv-bk", F_OK), 0);
	free(before);
	free(after);
}

static CU_TestInfo unpriv_tests[] = {
	{ "commands", test_commands },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "unprivileged", unpriv_init, unpriv_clean, NULL, NULL,
	  unpriv_tests },
	CU_SUITE_INFO_NULL,
};
