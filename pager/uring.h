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

/*
 * A read past its deadline (uring_read_bounded()): it owns its buffer,
 * which the kernel may still write into, until its completion comes.
 */
struct uring_orphan;

struct uring {
	struct io_uring ring;
	unsigned int entries;
	bool ready;		/* false: synchronous system calls */
	struct uring_orphan *orphans;	/* reads past their deadline */
	unsigned int norphans;
};

/* Most reads past their deadline a ring keeps before refusing more. */
#define URING_ORPHANS_MAX	16

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

/*
 * Read from a file that may never answer (a client's: FUSE) on a ring
 * used for nothing else: like uring_one(URING_READ), but gives up after
 * @timeout_ms with -ETIMEDOUT.  The read then stays in flight on a
 * buffer of its own (an orphan, tagged @tag), never on @buf.  -EAGAIN
 * without reading while URING_ORPHANS_MAX orphans are still in flight.
 * @async: never try the read in the submitting thread (IOSQE_ASYNC):
 * io_uring tries it inline first, and a FUSE read blocks there (seen on
 * 6.18), so the deadline would never come; it costs a hand-over to an
 * io_uring worker, so trusted local file systems go without.  Without
 * io_uring: a plain pread(2), not bounded.
 */
int uring_read_bounded(struct uring *u, int fd, void *buf, uint64_t len,
		       uint64_t off, uint64_t *done, unsigned int timeout_ms,
		       uint64_t tag, bool async);

/*
 * Free the orphans whose reads have completed, calling @fn with each
 * one's tag.  Never waits.
 */
void uring_reap_orphans(struct uring *u, void (*fn)(void *arg, uint64_t tag),
			void *arg);

/* "read", "write", "fdatasync": for messages. */
const char *uring_op_name(enum uring_opcode opcode);

#endif /* VMO_PAGER_URING_H */
