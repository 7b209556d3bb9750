// SPDX-License-Identifier: GPL-2.0
/*
 * cowsnapctl run by a normal user (uid and gid 65534, no groups, no
 * capabilities): every command that needs device-mapper fails with exit
 * status 1 and one line that says root is needed, and changes nothing
 * (the volume, its data and the dm devices are as before).
 *
 * restore_verify: restore and verify need no device-mapper; they read
 * backup files under the files' own permissions.  On a backup root made
 * (directories 0700, files 0600) the user gets exit 1 and one line naming
 * the file and "Permission denied"; on the same backup given to the user,
 * verify passes and restore into a file of the user's writes the
 * volume's data as it was at the backup.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safety-test.h"

#define DEV_BYTES	(16ULL << 20)

static char vol[64], loop[64], dir[128];

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
		r = sf_run_as(&sf_nobody, args, err, sizeof(err));
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

/* Exit 1 and one line "cowsnapctl: <cmd>: ...<what>...: Permission denied". */
static bool refused(int r, const char *out, const char *what)
{
	const char *nl = strchr(out, '\n');
	bool ok = r == 1 && !strncmp(out, "cowsnapctl: ", 12) &&
		  nl && !nl[1] && strstr(out, what) &&
		  strstr(out, "Permission denied");

	if (!ok)
		fprintf(stderr, "as uid 65534: exit %d, '%s'\n", r, out);
	return ok;
}

static void test_restore_verify(void)
{
	char bk[160], file[160], cmd[512], out[4096], *sum = NULL, *got = NULL;
	struct stat st;
	int r;

	snprintf(bk, sizeof(bk), "%s/bk", dir);
	snprintf(file, sizeof(file), "%s/restored", dir);
	snprintf(cmd, sizeof(cmd), "/dev/mapper/%s", vol);
	CU_ASSERT_FATAL(sf_write_check(cmd, 21));
	CU_ASSERT_FATAL(tl_run(NULL, "cowsnapctl backup %s --to %s", vol,
			       bk) == 0);
	CU_ASSERT_FATAL(tl_run(&sum, "sha256sum < %s", cmd) == 0);

	/* root's backup: the directory is 0700, the user cannot read it */
	snprintf(cmd, sizeof(cmd), "cowsnapctl verify %s", bk);
	r = sf_sh_as(&sf_nobody, cmd, out, sizeof(out));
	CU_ASSERT(refused(r, out, bk));
	snprintf(cmd, sizeof(cmd), "cowsnapctl restore --from %s --to %s", bk,
		 file);
	r = sf_sh_as(&sf_nobody, cmd, out, sizeof(out));
	CU_ASSERT(refused(r, out, bk));
	CU_ASSERT_NOT_EQUAL(access(file, F_OK), 0);

	/* the directory open, the files still root's 0600 */
	CU_ASSERT_FATAL(tl_run(NULL, "chmod 0755 %s %s/*", bk, bk) == 0);
	snprintf(cmd, sizeof(cmd), "cowsnapctl verify %s", bk);
	r = sf_sh_as(&sf_nobody, cmd, out, sizeof(out));
	CU_ASSERT(r == 1 && strstr(out, "manifest.json: cannot open: "
				   "Permission denied\n"));
	if (!(r == 1 && strstr(out, "manifest.json: cannot open: ")))
		fprintf(stderr, "verify of root's files: %d '%s'\n", r, out);

	/* the user's own backup */
	CU_ASSERT_FATAL(tl_run(NULL, "chown -R %d:%d %s", SF_NOBODY,
			       SF_NOBODY, bk) == 0);
	snprintf(cmd, sizeof(cmd), "cowsnapctl verify %s", bk);
	r = sf_sh_as(&sf_nobody, cmd, out, sizeof(out));
	CU_ASSERT_EQUAL(r, 0);
	if (r)
		fprintf(stderr, "verify as the owner: %d '%s'\n", r, out);
	snprintf(cmd, sizeof(cmd), "cowsnapctl restore --from %s --to %s", bk,
		 file);
	r = sf_sh_as(&sf_nobody, cmd, out, sizeof(out));
	CU_ASSERT_EQUAL(r, 0);
	if (r)
		fprintf(stderr, "restore as the owner: %d '%s'\n", r, out);
	CU_ASSERT(!stat(file, &st) && st.st_uid == SF_NOBODY &&
		  (st.st_mode & 07777) == 0600);
	CU_ASSERT(tl_run(&got, "sha256sum < %s", file) == 0 && sum && got &&
		  !strcmp(sum, got));
	free(sum);
	free(got);
}

static CU_TestInfo unpriv_tests[] = {
	{ "commands", test_commands },
	{ "restore_verify", test_restore_verify },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo cs_suites[] = {
	{ "unprivileged", unpriv_init, unpriv_clean, NULL, NULL,
	  unpriv_tests },
	CU_SUITE_INFO_NULL,
};
