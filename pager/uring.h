/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmo-pager file I/O: batches of reads, writes and fdatasyncs on one
 * io_uring, submitted together and waited for together.
 *
 * A short transfer is continued until the whole request is done (a read
 * stops early only at the end of the file).  Without io_uring (the
 * kernel or a seccomp policy refuses it) the same requests run as
 * pread/pwrite/fdatasync, one after the other: slower, same results.
 */
#ifndef VMO_PAGER_URING_H
#define VMO_PAGER_URING_H

#include <stdbool.h>
#include <stdint.h>

#include <liburing.h>

/* Submission queue entries: also the most requests in flight at once. */
#define URING_ENTRIES		64

enum uring_opcode {
	URING_READ,
	URING_WRITE,
	URING_FDATASYNC,
};

struct uring_op {
	/* in */
	enum uring_opcode opcode;
	int fd;
	void *buf;
	uint64_t len;		/* bytes; ignored for FDATASYNC */
	uint64_t off;		/* file offset; ignored for FDATASYNC */
	/* out */
	uint64_t done;		/* bytes transferred (read: less at EOF) */
	int error;		/* 0 or -errno */
	/* internal */
	unsigned int retries;
	bool finished;
};

struct uring {
	struct io_uring ring;
	unsigned int entries;
	bool ready;		/* false: synchronous system calls */
};

/*
 * Set up a ring of @entries.  Returns 0, or -errno after which @u still
 * works, through the synchronous fallback (the caller says so once).
 */
int uring_init(struct uring *u, unsigned int entries);

void uring_exit(struct uring *u);

/*
 * Run @n requests and wait for all of them.  Each one's @done and
 * @error are filled in.  Returns 0 when all succeeded, else the first
 * request's error (in @ops order).
 */
int uring_run(struct uring *u, struct uring_op *ops, unsigned int n);

/* One request built from the arguments, run alone.  Returns its error. */
int uring_one(struct uring *u, enum uring_opcode opcode, int fd, void *buf,
	      uint64_t len, uint64_t off, uint64_t *done);

/* "read", "write", "fdatasync": for messages. */
const char *uring_op_name(enum uring_opcode opcode);

#endif /* VMO_PAGER_URING_H */
