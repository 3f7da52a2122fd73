/* testfs.h: scratch files for the unit tests that read files. A test makes one mkdtemp() directory
 * under $TMPDIR (or /tmp), writes its inputs there with testfs_write (parent directories are made
 * as needed) and removes the whole tree with testfs_rmtree before it exits.
 */
#ifndef CIOT_TEST_TESTFS_H
#define CIOT_TEST_TESTFS_H

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Makes a fresh directory; exits the test when it cannot (nothing else could run). */
static inline void testfs_mkdtemp(char out[PATH_MAX], const char *tag)
{
	const char *base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	if (snprintf(out, PATH_MAX, "%s/ciot-unit-%s-XXXXXX", base, tag) >= PATH_MAX || !mkdtemp(out)) {
		perror("mkdtemp");
		exit(2);
	}
}

/* Writes dir/rel into out and returns out; a path too long for PATH_MAX ends the test. */
static inline const char *testfs_path(char out[PATH_MAX], const char *dir, const char *rel)
{
	if (snprintf(out, PATH_MAX, "%s/%s", dir, rel) >= PATH_MAX) {
		fprintf(stderr, "path too long: %s/%s\n", dir, rel);
		exit(2);
	}
	return out;
}

static inline void testfs_mkdirs(const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(buf, 0700);
			*p = '/';
		}
	mkdir(buf, 0700);
}

/* Writes n bytes to dir/rel and returns the full path in out. */
static inline const char *testfs_write(char out[PATH_MAX], const char *dir, const char *rel, const void *data,
				       size_t n)
{
	testfs_path(out, dir, rel);
	char parent[PATH_MAX];
	snprintf(parent, sizeof parent, "%s", out);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = 0;
		testfs_mkdirs(parent);
	}
	FILE *f = fopen(out, "wb");
	if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
		perror(out);
		exit(2);
	}
	return out;
}

static inline const char *testfs_write_text(char out[PATH_MAX], const char *dir, const char *rel,
					    const char *text)
{
	return testfs_write(out, dir, rel, text, strlen(text));
}

static inline void testfs_rmtree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		if (d) {
			struct dirent *e;
			while ((e = readdir(d))) {
				if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
					continue;
				char child[PATH_MAX];
				testfs_rmtree(testfs_path(child, path, e->d_name));
			}
			closedir(d);
		}
		rmdir(path);
	} else {
		unlink(path);
	}
}

#endif
