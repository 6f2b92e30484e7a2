// SPDX-License-Identifier: GPL-2.0
/*
 * vmo-pager logging.
 *
 * Each message is formatted into one buffer and written with a single
 * write(2), so lines from the pager and from test threads do not
 * interleave mid-line.  errno is preserved so callers can log and then
 * still inspect it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"

int vlog_level = VLOG_WARNING;

static const char *const level_names[] = {
	[VLOG_ERROR]	= "error",
	[VLOG_WARNING]	= "warning",
	[VLOG_INFO]	= "info",
	[VLOG_DEBUG]	= "debug",
};

void vlog(int level, const char *fmt, ...)
{
	char buf[1024];
	int saved_errno = errno;
	va_list ap;
	int n, m;

	if (level < VLOG_ERROR || level > VLOG_DEBUG || level > vlog_level)
		return;

	n = snprintf(buf, sizeof(buf), "vmo-pager: %s: ", level_names[level]);
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	/* A truncated message still ends with its newline. */
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0) {
		/* Nowhere left to report it. */
	}
	errno = saved_errno;
}
