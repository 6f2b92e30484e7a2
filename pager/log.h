/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmo-pager logging: one line per message on stderr, prefixed with the
 * program name and the level ("vmo-pager: warning: ...").
 */
#ifndef VMO_PAGER_LOG_H
#define VMO_PAGER_LOG_H

enum vlog_level {
	VLOG_SILENT = -1,	/* nothing at all (host tests) */
	VLOG_ERROR,
	VLOG_WARNING,
	VLOG_INFO,
	VLOG_DEBUG,
};

/* Messages above this level are dropped. */
extern int vlog_level;

void vlog(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The level test is inlined so disabled debug calls cost no formatting. */
#define vlog_at(level, ...)					\
	do {							\
		if (vlog_level >= (level))			\
			vlog((level), __VA_ARGS__);		\
	} while (0)

#define log_err(...)	vlog_at(VLOG_ERROR, __VA_ARGS__)
#define log_warn(...)	vlog_at(VLOG_WARNING, __VA_ARGS__)
#define log_info(...)	vlog_at(VLOG_INFO, __VA_ARGS__)
#define log_debug(...)	vlog_at(VLOG_DEBUG, __VA_ARGS__)

#endif /* VMO_PAGER_LOG_H */
