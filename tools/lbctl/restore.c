// SPDX-License-Identifier: GPL-2.0
/*
 * restore: commands read from a file, one per line, applied in pipelined
 * batches.  The whole input is parsed before anything is sent, so a typo
 * on the last line changes nothing; after that the first refusal from the
 * kernel stops the restore.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>

#include "lbctl.h"
#include "nl.h"

#define MAX_WORDS	64

struct batch {
	char *buf;
	size_t len, cap;
	unsigned long *line;	/* input line of each request */
	unsigned int n, ncap;
};

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p) {
		perror("lbctl: realloc");
		exit(EXIT_FAIL);
	}
	return p;
}

/* Splits line into words in place; a word starting with '#' starts a
 * comment.  Returns the number of words, or -1 if there are too many.
 */
static int split(char *line, char **words)
{
	int n = 0;
	char *w;

	for (w = strtok(line, " \t\r\n"); w; w = strtok(NULL, " \t\r\n")) {
		if (w[0] == '#')
			break;
		if (n == MAX_WORDS)
			return -1;
		words[n++] = w;
	}
	return n;
}

static int add_line(struct batch *b, int argc, char **argv)
{
	const struct cmd *c = cmd_find(argv[0]);
	struct nlmsghdr *nlh;
	int err;

	if (!c)
		return usage(NULL, "unknown command \"%s\"", argv[0]);
	if (!c->build)
		return usage(NULL, "\"%s\" cannot be used in restore", argv[0]);
	if (b->cap - b->len < NL_REQ_SIZE) {
		size_t old = b->cap;

		b->cap = b->cap ? b->cap * 2 : 1 << 20;
		b->buf = xrealloc(b->buf, b->cap);
		/* libmnl leaves attribute padding as it is: no stale bytes
		 * should go to the kernel.
		 */
		memset(b->buf + old, 0, b->cap - old);
	}
	if (b->n == b->ncap) {
		b->ncap = b->ncap ? b->ncap * 2 : 4096;
		b->line = xrealloc(b->line, b->ncap * sizeof(*b->line));
	}
	nlh = nl_put(b->buf + b->len, c->nl_cmd);
	err = c->build(c, nlh, argc - 1, argv + 1);
	if (err)
		return err;
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	b->line[b->n++] = err_line;
	return 0;
}

/* The index-th request; only needed on failure, so a walk will do. */
static const struct nlmsghdr *request_at(const struct batch *b,
					 unsigned int index)
{
	const char *p = b->buf;

	while (index--)
		p += NLMSG_ALIGN(((const struct nlmsghdr *)p)->nlmsg_len);
	return (const void *)p;
}

int restore_run(const struct cmd *c, int argc, char **argv)
{
	struct batch b = { 0 };
	const char *name = "-";
	char *line = NULL, *words[MAX_WORDS];
	size_t size = 0;
	unsigned int failed, later;
	int n, err = 0;
	FILE *f = stdin;

	if (argc > 1)
		return usage(c, "unknown option \"%s\" for %s", argv[1], c->name);
	if (argc == 1)
		name = argv[0];
	if (strcmp(name, "-")) {
		f = fopen(name, "r");
		if (!f)
			return fail("%s: %s", name, strerror(errno));
	}

	for (err_line = 1; getline(&line, &size, f) >= 0; err_line++) {
		n = split(line, words);
		if (n < 0)
			err = fail("more than %d words", MAX_WORDS);
		else if (n > 0)
			err = add_line(&b, n, words);
		if (err)
			goto out;
	}
	err_line = 0;
	if (ferror(f)) {
		err = fail("%s: %s", name, strerror(errno));
		goto out;
	}
	if (!b.n)
		goto out;

	nl_open();
	err = nl_batch(b.buf, b.len, &failed, &later);
	if (err) {
		err_line = failed < b.n ? b.line[failed] : 0;
		if (failed < b.n)
			name_objects(request_at(&b, failed), nl_errmsg,
				     sizeof(nl_errmsg));
		err = nl_perror(err);
		err_line = 0;
		if (later)
			fail("%u later command%s, sent in the same batch, had been applied already",
			     later, later == 1 ? "" : "s");
	}
out:
	err_line = 0;
	free(line);
	free(b.buf);
	free(b.line);
	if (f != stdin)
		fclose(f);
	return err;
}
