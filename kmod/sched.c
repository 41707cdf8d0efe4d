// SPDX-License-Identifier: GPL-2.0
/* STUB: scheduler registry; owned by the scheduler work, to be replaced. */
#include <linux/string.h>
#include "nflb.h"

static const char * const nflb_stub_names[] = { "rr", "wrr", "lc", "wlc", "sh" };
static const struct nflb_sched_ops nflb_stub_ops[5] = {
	{ .name = "rr" }, { .name = "wrr" }, { .name = "lc" }, { .name = "wlc" }, { .name = "sh" },
};

const struct nflb_sched_ops *nflb_sched_find(const char *name)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(nflb_stub_names); i++)
		if (!strcmp(name, nflb_stub_names[i]))
			return &nflb_stub_ops[i];
	return NULL;
}

int nflb_sched_rebuild(struct nflb_service *svc)
{
	return 0;
}

void nflb_sched_release(struct nflb_service *svc)
{
}

struct nflb_backend *nflb_sched_pick(struct nflb_service *svc,
				     const struct nflb_flow *flow)
{
	return NULL;
}
