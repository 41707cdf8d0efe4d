/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between kernel versions, kept out of the core files.  Each is
 * probed by feature in Kbuild where one is needed, never by version number.
 * The oldest kernel nflb builds on is 6.1, as dkms.conf says too.
 */
#ifndef _NFLB_COMPAT_H
#define _NFLB_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "nflb needs Linux 6.1 or newer"
#endif

#endif /* _NFLB_COMPAT_H */
