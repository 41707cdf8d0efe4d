// SPDX-License-Identifier: GPL-2.0
/*
 * restore: commands read from a file, one per line, applied in pipelined
 * batches.  The whole input is parsed before anything is sent, so a typo
 * on the last line changes nothing; after that the first refusal from the
 * kernel stops the restore.
 *
 * The add-backend lines that directly follow an add-service line for the
 * same service travel inside its request (NFLB_SVC_A_BACKENDS): the kernel
 * then creates the service with its backends in one step, a fifth of the
 * requests for a typical file.  A refusal of any part refuses the whole
 * request, and the error offset the kernel returns says which line it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nflb.h>

#include "lbctl.h"
#include "nl.h"

#define MAX_WORDS	64
/* Backends merged into one add-service request at most, and its size:
 * well within a netlink attribute's 64 KiB.
 */
#define MERGE_MAX	256
#define MERGE_BYTES	(16 * 1024)

/* A backend merged into an add-service request. */
struct merged {
	size_t off;		/* its NFLB_A_BACKEND nest, in batch.buf */
	unsigned long line;
};

struct batch {
	char *buf;
	size_t len, cap;
	unsigned long *line;	/* input line of each request */
	unsigned int *lines;	/* input lines each request carries */
	unsigned int n, ncap;
	struct merged *mb;	/* in the order of their offsets */
	unsigned int nmb, mbcap;
	/* The last request, if an add-service that takes more backends:
	 * offsets of it, of its service nest and of its backend list (0: none
	 * yet).
	 */
	bool open;
	size_t line_off, open_svc, open_bes;
	unsigned int open_n;
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

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Splits line into words in place; a word starting with '#' starts a
 * comment.  Returns the number of words, or -1 if there are too many.
 */
static int split(char *line, char **words)
{
	char *p = line;
	int n = 0;

	for (;;) {
		while (is_blank(*p))
			p++;
		if (!*p || *p == '#')
			return n;
		if (n == MAX_WORDS)
			return -1;
		words[n++] = p;
		while (*p && !is_blank(*p))
			p++;
		if (*p)
			*p++ = 0;
	}
}

/*
 * The requests are laid out in anonymous memory: it comes zeroed (no
 * stale byte can go to the kernel, whatever a builder leaves unwritten)
 * and mremap() grows it without copying.
 */
static void grow(struct batch *b)
{
	size_t cap = b->cap ? b->cap * 2 : 1 << 20;
	void *p;

	if (b->cap)
		p = mremap(b->buf, b->cap, cap, MREMAP_MAYMOVE);
	else
		p = mmap(NULL, cap, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("lbctl: mmap");
		exit(EXIT_FAIL);
	}
	b->buf = p;
	b->cap = cap;
}

/* The first top-level attribute of type @type in the request at @nlh. */
static struct nlattr *top_attr(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;

	nl_attr_for_each_genl(a, nlh)
		if (nl_attr_type(a) == type)
			return (struct nlattr *)a;
	return NULL;
}

/*
 * Moves the backend of the add-backend request just built at the end of
 * the batch into the open add-service request before it, if it names
 * the same service and there is room.  Returns whether it did.
 */
static bool merge_backend(struct batch *b)
{
	struct nlmsghdr *req = (void *)(b->buf + b->len);
	struct nlmsghdr *svc_req = (void *)(b->buf + b->line_off);
	struct nlattr *svc, *be, *nsvc = (void *)(b->buf + b->open_svc);
	size_t end = b->len, add, belen, was = NLMSG_ALIGN(req->nlmsg_len);
	struct nlattr *bes;

	svc = top_attr(req, NFLB_A_SERVICE);
	be = top_attr(req, NFLB_A_BACKEND);
	if (!svc || !be || b->open_n >= MERGE_MAX ||
	    nl_attr_len(svc) > nl_attr_len(nsvc) ||
	    memcmp(nl_attr_data(svc), nl_attr_data(nsvc), nl_attr_len(svc)))
		return false;
	belen = NLMSG_ALIGN(be->nla_len);
	add = belen + (b->open_bes ? 0 : MNL_ATTR_HDRLEN);
	if (svc_req->nlmsg_len + add > MERGE_BYTES)
		return false;
	/* The service nest is the request's last attribute, and the
	 * backend list (once there is one) the service nest's last.
	 */
	if (!b->open_bes) {
		bes = (void *)(b->buf + end);
		bes->nla_type = NFLB_SVC_A_BACKENDS | NLA_F_NESTED;
		bes->nla_len = MNL_ATTR_HDRLEN;
		b->open_bes = end;
		end += MNL_ATTR_HDRLEN;
	}
	bes = (void *)(b->buf + b->open_bes);
	memmove(b->buf + end, be, belen);
	if (b->nmb == b->mbcap) {
		b->mbcap = b->mbcap ? b->mbcap * 2 : 4096;
		b->mb = xrealloc(b->mb, b->mbcap * sizeof(*b->mb));
	}
	b->mb[b->nmb].off = end;
	b->mb[b->nmb++].line = err_line;
	end += belen;
	bes->nla_len += belen;
	nsvc->nla_len += add;
	svc_req->nlmsg_len += add;
	/* What is past the end must be zero for the next request. */
	memset(b->buf + end, 0, b->len + was - end);
	b->len = end;
	b->lines[b->n - 1]++;
	b->open_n++;
	return true;
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
	if (b->cap - b->len < NL_REQ_SIZE)
		grow(b);
	if (b->n == b->ncap) {
		b->ncap = b->ncap ? b->ncap * 2 : 4096;
		b->line = xrealloc(b->line, b->ncap * sizeof(*b->line));
		b->lines = xrealloc(b->lines, b->ncap * sizeof(*b->lines));
	}
	nlh = nl_put(b->buf + b->len, c->nl_cmd);
	err = c->build(c, nlh, argc - 1, argv + 1);
	if (err)
		return err;
	if (c->nl_cmd == NFLB_CMD_NEW_BACKEND && b->open && merge_backend(b))
		return 0;
	b->open = c->nl_cmd == NFLB_CMD_NEW_SERVICE;
	if (b->open) {
		b->line_off = b->len;
		b->open_svc = (char *)top_attr(nlh, NFLB_A_SERVICE) - b->buf;
		b->open_bes = 0;
		b->open_n = 0;
	}
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	b->lines[b->n] = 1;
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

/*
 * The line of the failed request @index (at @req) that the kernel's error
 * offset points into: one of the backends merged into it, or its own.
 * *@be is that backend's nest, or NULL.
 */
static unsigned long failed_line(const struct batch *b, unsigned int index,
				 const struct nlmsghdr *req,
				 const struct nlattr **be)
{
	size_t start = (const char *)req - b->buf, at;
	unsigned long line = b->line[index];
	unsigned int i;

	*be = NULL;
	if (nl_erroff < 0 || b->lines[index] == 1)
		return line;
	at = start + nl_erroff;
	for (i = 0; i < b->nmb && b->mb[i].off <= at; i++) {
		if (b->mb[i].off < start)
			continue;
		line = b->mb[i].line;
		*be = (const void *)(b->buf + b->mb[i].off);
	}
	return line;
}

/* The last input line that the request @index (at @req) carries. */
static unsigned long last_line(const struct batch *b, unsigned int index,
			       const struct nlmsghdr *req)
{
	size_t start = (const char *)req - b->buf;
	unsigned long line = b->line[index];
	unsigned int i;

	for (i = 0; i < b->nmb && b->mb[i].off < start + req->nlmsg_len; i++)
		if (b->mb[i].off >= start)
			line = b->mb[i].line;
	return line;
}

/* Names the objects of the failed request in the kernel's message: its
 * service, and @be, the backend that failed if one merged into it did.
 */
static void name_failed(const struct nlmsghdr *req, const struct nlattr *be)
{
	char buf[NL_REQ_SIZE] = { 0 };
	const struct nlattr *svc, *a;
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	svc = top_attr(req, NFLB_A_SERVICE);
	if (!be || !svc || MNL_ALIGN(be->nla_len) > NL_REQ_SIZE / 2) {
		name_objects(req, nl_errmsg, sizeof(nl_errmsg));
		return;
	}
	/* What that add-backend line alone would have sent: the service's
	 * attributes but its backend list, and that backend.
	 */
	nlh = nl_put(buf, NFLB_CMD_NEW_BACKEND);
	nest = nl_attr_nest_start(nlh, NFLB_A_SERVICE);
	nl_attr_for_each_nested(a, svc)
		if (nl_attr_type(a) != NFLB_SVC_A_BACKENDS &&
		    nlh->nlmsg_len + MNL_ALIGN(a->nla_len) < NL_REQ_SIZE / 2)
			nl_attr_put(nlh, nl_attr_type(a), nl_attr_len(a),
				    nl_attr_data(a));
	nl_attr_nest_end(nlh, nest);
	memcpy(buf + nlh->nlmsg_len, be, be->nla_len);
	nlh->nlmsg_len += MNL_ALIGN(be->nla_len);
	name_objects(nlh, nl_errmsg, sizeof(nl_errmsg));
}

int restore_run(const struct cmd *c, int argc, char **argv)
{
	struct batch b = { 0 };
	const char *name = "-";
	char *line = NULL, *words[MAX_WORDS];
	const struct nlmsghdr *req = NULL;
	const struct nlattr *be;
	size_t size = 0;
	unsigned int failed, later, i, nlater;
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
	/* Fewer, bigger reads than stdio's default for a long file. */
	setvbuf(f, NULL, _IOFBF, 1 << 16);

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
		err_line = 0;
		if (failed < b.n) {
			req = request_at(&b, failed);
			err_line = failed_line(&b, failed, req, &be);
			name_failed(req, be);
		}
		err = nl_perror(err);
		if (req && b.lines[failed] > 1)
			fail("lines %lu to %lu (add-service and its add-backend lines) went to the kernel as one request: none of them was applied",
			     b.line[failed], last_line(&b, failed, req));
		err_line = 0;
		for (i = 1, nlater = 0; i <= later && failed + i < b.n; i++)
			nlater += b.lines[failed + i];
		if (nlater)
			fail("%u later command%s, sent in the same batch, had been applied already",
			     nlater, nlater == 1 ? "" : "s");
	}
out:
	err_line = 0;
	free(line);
	if (b.cap)
		munmap(b.buf, b.cap);
	free(b.line);
	free(b.lines);
	free(b.mb);
	if (f != stdin)
		fclose(f);
	return err;
}
