/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every lbctl source file shares: the command table entry, the exit
 * codes and the error helpers that print them.
 */
#ifndef LBCTL_H
#define LBCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

/* Exit codes: the contract says 1 for a runtime or kernel error (including
 * a value that is not valid), 2 for a command line of the wrong shape.
 */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

struct cmd {
	const char *name;
	/* Runs the command; argv holds the words after its name. */
	int (*run)(const struct cmd *c, int argc, char **argv);
	/* A command that is one request with nothing to print has a builder
	 * instead of its own runner, so that restore can batch it.  It adds
	 * the attributes to nlh (whose header is already there) and returns
	 * an exit code.
	 */
	int (*build)(const struct cmd *c, struct nlmsghdr *nlh,
		     int argc, char **argv);
	uint8_t nl_cmd;
	const char *args;	/* synopsis after the name */
	const char *help;	/* one line */
};

const struct cmd *cmd_find(const char *name);
int cmd_request(const struct cmd *c, int argc, char **argv);

/* The error helpers print "lbctl: " (and, inside restore, "line N: ")
 * and return the exit code, so that callers can "return usage(...)".
 */
extern unsigned long err_line;	/* nonzero while restore reads a file */
int usage(const struct cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Per-command entry points (one file each). */
int svc_build(const struct cmd *c, struct nlmsghdr *nlh, int argc,
	      char **argv);
int svc_del_build(const struct cmd *c, struct nlmsghdr *nlh, int argc,
		  char **argv);
int be_build(const struct cmd *c, struct nlmsghdr *nlh, int argc,
	     char **argv);
int flush_build(const struct cmd *c, struct nlmsghdr *nlh, int argc,
		char **argv);
int timeouts_build(const struct cmd *c, struct nlmsghdr *nlh, int argc,
		   char **argv);
/* Puts the names of the request's objects into a kernel message. */
void name_objects(const struct nlmsghdr *req, char *msg, size_t len);
int list_run(const struct cmd *c, int argc, char **argv);
int save_run(const struct cmd *c, int argc, char **argv);
int conns_run(const struct cmd *c, int argc, char **argv);
int info_run(const struct cmd *c, int argc, char **argv);
int restore_run(const struct cmd *c, int argc, char **argv);

#endif /* LBCTL_H */
