// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl: configure the nflb load balancer.  This file holds main(), the
 * global options, the command table and the help; the commands live in
 * one file per kind of object, the netlink in nl.c.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nflb.h>

#include "lbctl.h"
#include "nl.h"
#include "print.h"

#ifndef LBCTL_VERSION
#define LBCTL_VERSION "unknown"
#endif

#define SVC_OPTS "[sched rr|wrr|lc|wlc|sh] [mode nat|dr|tun] [tunnel ipip|gue]\n" \
	"               [gue-port PORT] [persist SECONDS] [mss-clamp auto|off|BYTES]"

static int help_run(const struct cmd *c, int argc, char **argv);

static const struct cmd cmds[] = {
	{ "add-service", NULL, svc_build, NFLB_CMD_NEW_SERVICE,
	  "SERVICE " SVC_OPTS, "add a service (defaults: sched wlc, mode nat)" },
	{ "set-service", NULL, svc_build, NFLB_CMD_SET_SERVICE,
	  "SERVICE " SVC_OPTS, "change the options given, keep the others" },
	{ "del-service", NULL, svc_del_build, NFLB_CMD_DEL_SERVICE,
	  "SERVICE", "delete a service and its backends" },
	{ "add-backend", NULL, be_build, NFLB_CMD_NEW_BACKEND,
	  "SERVICE ADDR[:PORT] [weight N]",
	  "add a backend (port: the service's; weight: 1)" },
	{ "set-backend", NULL, be_build, NFLB_CMD_SET_BACKEND,
	  "SERVICE ADDR[:PORT] weight N", "change a backend's weight (0 drains)" },
	{ "del-backend", NULL, be_build, NFLB_CMD_DEL_BACKEND,
	  "SERVICE ADDR[:PORT]", "delete a backend, closing its connections" },
	{ "list", list_run, NULL, 0,
	  "[SERVICE]", "services, their backends and counters" },
	{ "flush", NULL, flush_build, NFLB_CMD_FLUSH,
	  "", "delete every service of this network namespace" },
	{ "set-timeouts", NULL, timeouts_build, NFLB_CMD_SET_TIMEOUTS,
	  "[tcp SECONDS] [tcpfin SECONDS] [udp SECONDS]",
	  "connection timeouts: established TCP, closing TCP, UDP" },
	{ "conns", conns_run, NULL, 0,
	  "[SERVICE]", "the connection table" },
	{ "info", info_run, NULL, 0,
	  "", "module version, limits, timeouts, drop counters" },
	{ "restore", restore_run, NULL, 0,
	  "[FILE|-]", "apply commands read from FILE (default: stdin), batched" },
	{ "save", save_run, NULL, 0,
	  "[FILE|-]", "the configuration as restore input (FILE: replaced atomically)" },
	{ "help", help_run, NULL, 0,
	  "[COMMAND]", "this text" },
};

#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

unsigned long err_line;

static void vmsg(const char *fmt, va_list ap)
{
	fputs("lbctl: ", stderr);
	if (err_line)
		fprintf(stderr, "line %lu: ", err_line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int usage(const struct cmd *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	/* Inside restore the line number is the better pointer. */
	if (!err_line)
		fprintf(stderr, "lbctl: try \"lbctl %s%shelp\"\n",
			c ? c->name : "", c ? " " : "");
	return EXIT_USAGE;
}

int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

const struct cmd *cmd_find(const char *name)
{
	/* restore asks for the same few commands line after line. */
	static const struct cmd *last;
	unsigned int i;

	if (last && !strcmp(name, last->name))
		return last;
	for (i = 0; i < NCMDS; i++)
		if (!strcmp(name, cmds[i].name))
			return last = &cmds[i];
	return NULL;
}

/* The runner of every command that is a single request: parse, and only
 * then open the socket, so a usage error never needs the module.
 */
int cmd_request(const struct cmd *c, int argc, char **argv)
{
	char buf[NL_REQ_SIZE] = { 0 };
	struct nlmsghdr *nlh;
	int err;

	nlh = nl_put(buf, c->nl_cmd);
	err = c->build(c, nlh, argc, argv);
	if (err)
		return err;
	nl_open();
	err = nl_request(nlh, NULL, NULL);
	if (!err)
		return EXIT_OK;
	name_objects(nlh, nl_errmsg, sizeof(nl_errmsg));
	return nl_perror(err);
}

static void cmd_usage(FILE *f, const struct cmd *c)
{
	if (c->args[0])
		fprintf(f, "  %-12s %s\n  %-12s   %s\n", c->name, c->args, "",
			c->help);
	else
		fprintf(f, "  %-12s %s\n", c->name, c->help);
}

static void usage_all(FILE *f)
{
	unsigned int i;

	fprintf(f,
		"Usage: lbctl [-j] [-p] [-V] [-h] COMMAND [ARGS]\n"
		"  -j, --json     JSON output\n"
		"  -p, --pretty   pretty JSON output (implies -j)\n"
		"  -V, --version  print the version\n"
		"  -h, --help     this text\n"
		"Commands:\n");
	for (i = 0; i < NCMDS; i++)
		cmd_usage(f, &cmds[i]);
	fprintf(f,
		"SERVICE := {tcp|udp} VIP:PORT    IPv6 as [ADDR]:PORT\n"
		"ADDR    := IPv4 address, or IPv6 address in brackets\n"
		"\"lbctl COMMAND help\" describes one command; see lbctl(8).\n"
		"Exit status: 0 success, 1 error, 2 usage error.\n");
}

static int help_run(const struct cmd *c, int argc, char **argv)
{
	const struct cmd *t;

	(void)c;
	if (!argc) {
		usage_all(stdout);
		return EXIT_OK;
	}
	t = cmd_find(argv[0]);
	if (!t || argc > 1)
		return usage(NULL, "unknown command \"%s\"", argv[argc > 1]);
	printf("Usage: lbctl %s %s\n  %s\n", t->name, t->args, t->help);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	bool json = false, pretty = false;
	const struct cmd *c;
	int opt;

	opterr = 0;
	/* '+': options end at the command, whose words may start with '-'. */
	while ((opt = getopt_long(argc, argv, "+jpVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'p':
			pretty = true;
			break;
		case 'V':
			printf("lbctl %s (nflb netlink version %d)\n",
			       LBCTL_VERSION, NFLB_GENL_VERSION);
			return EXIT_OK;
		case 'h':
			usage_all(stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "lbctl: unknown option \"%s\"\n"
				"lbctl: try \"lbctl help\"\n", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (!argc) {
		usage_all(stderr);
		return EXIT_USAGE;
	}
	c = cmd_find(argv[0]);
	if (!c) {
		fprintf(stderr, "lbctl: unknown command \"%s\"\n"
			"lbctl: try \"lbctl help\"\n", argv[0]);
		return EXIT_USAGE;
	}
	argc--;
	argv++;
	/* "lbctl COMMAND help" works for every command; "help" is not a
	 * word any command takes otherwise.
	 */
	if (argc == 1 && !strcmp(argv[0], "help") && c->run != help_run) {
		printf("Usage: lbctl %s %s\n  %s\n", c->name, c->args, c->help);
		return EXIT_OK;
	}
	print_init(json, pretty);
	if (c->run)
		return c->run(c, argc, argv);
	return cmd_request(c, argc, argv);
}
