// SPDX-License-Identifier: GPL-2.0
/*
 * save: the configuration as restore input, to stdout or, atomically, to
 * a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/nflb.h>

#include "lbctl.h"
#include "parse.h"
#include "table.h"

/* A line under construction: save writes tens of thousands of them,
 * and fprintf() per field was most of its time.
 */
struct line {
	char buf[512];
	size_t len;
};

static void put_s(struct line *l, const char *s)
{
	size_t n = strlen(s);

	if (n > sizeof(l->buf) - 1 - l->len)
		n = sizeof(l->buf) - 1 - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void put_u(struct line *l, unsigned int v)
{
	char tmp[12], *p = tmp + sizeof(tmp);

	*--p = 0;
	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	put_s(l, p);
}

static void save_print(FILE *f, const struct lb_table *t)
{
	char a[LB_ADDRSTRLEN], b[LB_ADDRSTRLEN];
	const struct lb_svc *s;
	struct line l;
	unsigned int i, k;

	for (i = 0; i < t->n; i++) {
		s = &t->svc[i];
		addr_port_str(s->id.vip.family, s->id.vip.addr, s->id.vip.port,
			      a, sizeof(a));
		l.len = 0;
		put_s(&l, "add-service ");
		put_s(&l, proto_name(s->id.proto));
		put_s(&l, " ");
		put_s(&l, a);
		put_s(&l, " sched ");
		put_s(&l, s->sched);
		put_s(&l, " mode ");
		put_s(&l, name_of(mode_names, 3, s->mode));
		if (s->mode == NFLB_FWD_TUN) {
			put_s(&l, " tunnel ");
			put_s(&l, name_of(tunnel_names, 2, s->tunnel));
			if (s->tunnel == NFLB_TUNNEL_GUE) {
				put_s(&l, " gue-port ");
				put_u(&l, s->gue_port);
			}
		}
		if (s->persist) {
			put_s(&l, " persist ");
			put_u(&l, s->persist);
		}
		/* "off" is the default except in mode tun (auto). */
		if (s->mss_mode == NFLB_MSS_AUTO) {
			put_s(&l, " mss-clamp auto");
		} else if (s->mss_mode == NFLB_MSS_OFF && s->mode == NFLB_FWD_TUN) {
			put_s(&l, " mss-clamp off");
		} else if (s->mss_mode == NFLB_MSS_FIXED) {
			put_s(&l, " mss-clamp ");
			put_u(&l, s->mss);
		}
		put_s(&l, "\n");
		fwrite(l.buf, 1, l.len, f);
		/* The backend lines share everything up to the address. */
		l.len = 0;
		put_s(&l, "add-backend ");
		put_s(&l, proto_name(s->id.proto));
		put_s(&l, " ");
		put_s(&l, a);
		put_s(&l, " ");
		for (k = 0; k < s->nbe; k++) {
			size_t head = l.len;

			put_s(&l, addr_port_str(s->be[k].addr.family,
						s->be[k].addr.addr,
						s->be[k].addr.port, b, sizeof(b)));
			put_s(&l, " weight ");
			put_u(&l, s->be[k].weight);
			put_s(&l, "\n");
			fwrite(l.buf, 1, l.len, f);
			l.len = head;
		}
	}
}

/*
 * save FILE replaces FILE atomically: written to a temporary file in the
 * same directory, synced, renamed over FILE, and the directory synced, so
 * that a crash leaves either the old configuration or the new one.
 */
static int save_file(const char *path, const struct lb_table *t)
{
	char *tmp, *dir, *slash;
	int fd, dfd, err = 0;
	FILE *f;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return fail("out of memory");
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = fail("%s: %s", tmp, strerror(errno));
		free(tmp);
		return err;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		goto fail;
	}
	/* mkstemp() makes it 0600; a configuration is not a secret. */
	fchmod(fd, 0644);
	save_print(f, t);
	if (fflush(f) || fsync(fd) || ferror(f)) {
		fclose(f);
		goto fail;
	}
	if (fclose(f) || rename(tmp, path))
		goto fail;
	free(tmp);

	dir = strdup(path);
	if (!dir)
		return fail("out of memory");
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir] = 0;	/* keep "/" itself */
	dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY);
	if (dfd < 0 || fsync(dfd))
		err = fail("%s: %s", slash ? dir : ".", strerror(errno));
	if (dfd >= 0)
		close(dfd);
	free(dir);
	return err;
fail:
	err = fail("%s: %s", path, strerror(errno));
	unlink(tmp);
	free(tmp);
	return err;
}

/* save [FILE]: the configuration as restore input.  Options at their
 * defaults are left out, except sched and mode, which say what the
 * service is.
 */
int save_run(const struct cmd *c, int argc, char **argv)
{
	struct lb_table t = { 0 };
	int err;

	if (argc > 1)
		return usage(c, "unknown option \"%s\" for %s", argv[1], c->name);
	err = table_read(c, 0, NULL, &t);
	if (err)
		return err;
	if (argc && strcmp(argv[0], "-")) {
		err = save_file(argv[0], &t);
	} else {
		save_print(stdout, &t);
		err = fflush(stdout) ? fail("stdout: %s", strerror(errno)) : 0;
	}
	table_reset(&t);
	free(t.svc);
	return err;
}
