// SPDX-License-Identifier: GPL-2.0
/*
 * vmo-pager file I/O on io_uring (see uring.h).
 *
 * The pager is one thread serving faults: every batch is submitted and
 * waited for at once, so a request's buffer is never in the kernel's
 * hands once uring_run() returns.  The batch keeps at most @entries
 * requests queued or in flight, so a submission queue entry is always
 * free and the completion queue (twice as deep) never overflows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "uring.h"

/* Resubmissions after EINTR/EAGAIN before a request counts as failed. */
#define URING_RETRIES		16

/* Largest single transfer: the opcodes take a 32-bit length. */
#define URING_XFER_MAX		(1U << 30)

int uring_init(struct uring *u, unsigned int entries)
{
	int ret;

	memset(u, 0, sizeof(*u));
	u->entries = entries;
	ret = io_uring_queue_init(entries, &u->ring, 0);
	if (ret < 0)
		return ret;
	u->ready = true;
	return 0;
}

void uring_exit(struct uring *u)
{
	/*
	 * Orphans still in flight are left allocated: closing the ring
	 * cancels their reads in the background, which may still write
	 * into their buffers.
	 */
	if (u->ready)
		io_uring_queue_exit(&u->ring);
	u->ready = false;
	u->orphans = NULL;
	u->norphans = 0;
}

const char *uring_op_name(enum uring_opcode opcode)
{
	switch (opcode) {
	case URING_READ:
		return "read";
	case URING_WRITE:
		return "write";
	case URING_FDATASYNC:
		return "fdatasync";
	}
	return "?";
}

/*
 * Account for one result of @op (bytes or -errno).  Returns true when
 * @op is finished, false when the rest must be submitted again.
 */
static bool op_complete(struct uring_op *op, int64_t res)
{
	if ((res == -EINTR || res == -EAGAIN) &&
	    ++op->retries < URING_RETRIES)
		return false;
	if (res < 0) {
		op->error = (int)res;
		return true;
	}
	if (op->opcode == URING_FDATASYNC)
		return true;
	if (res == 0) {
		/* End of file for a read; a write that makes no progress. */
		if (op->opcode == URING_WRITE)
			op->error = -EIO;
		return true;
	}
	op->done += (uint64_t)res;
	return op->done >= op->len;
}

static size_t op_chunk(const struct uring_op *op)
{
	uint64_t left = op->len - op->done;

	return left > URING_XFER_MAX ? URING_XFER_MAX : (size_t)left;
}

static void sync_op(struct uring_op *op)
{
	char *buf = (char *)op->buf + op->done;
	off_t off = (off_t)(op->off + op->done);
	int64_t res;

	while (!op->finished) {
		switch (op->opcode) {
		case URING_READ:
			res = pread(op->fd, buf, op_chunk(op), off);
			break;
		case URING_WRITE:
			res = pwrite(op->fd, buf, op_chunk(op), off);
			break;
		default:
			res = fdatasync(op->fd);
			break;
		}
		if (res < 0)
			res = -errno;
		op->finished = op_complete(op, res);
		buf = (char *)op->buf + op->done;
		off = (off_t)(op->off + op->done);
	}
}

/* Queue (the rest of) @op; a free entry is guaranteed by the caller. */
static int ring_prep(struct uring *u, struct uring_op *op)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	char *buf = (char *)op->buf + op->done;
	uint64_t off = op->off + op->done;

	if (!sqe)
		return -EBUSY;
	switch (op->opcode) {
	case URING_READ:
		io_uring_prep_read(sqe, op->fd, buf, op_chunk(op), off);
		break;
	case URING_WRITE:
		io_uring_prep_write(sqe, op->fd, buf, op_chunk(op), off);
		break;
	case URING_FDATASYNC:
		io_uring_prep_fsync(sqe, op->fd, IORING_FSYNC_DATASYNC);
		break;
	}
	io_uring_sqe_set_data(sqe, op);
	return 0;
}

/* Reap every completion there is.  Returns requests still in flight. */
static unsigned int ring_reap(struct uring *u, unsigned int inflight)
{
	struct io_uring_cqe *cqe;
	struct uring_op *op;
	int res;

	while (!io_uring_peek_cqe(&u->ring, &cqe)) {
		op = io_uring_cqe_get_data(cqe);
		res = cqe->res;
		io_uring_cqe_seen(&u->ring, cqe);
		inflight--;
		op->finished = op_complete(op, res);
		if (op->finished)
			continue;
		if (ring_prep(u, op)) {
			op->error = -EBUSY;
			op->finished = true;
			continue;
		}
		inflight++;
	}
	return inflight;
}

/* Returns 0, or the io_uring_submit_and_wait() error that stopped it. */
static int ring_run(struct uring *u, struct uring_op *ops, unsigned int n)
{
	unsigned int next = 0, inflight = 0, failures = 0;
	int ret;

	for (;;) {
		while (next < n && inflight < u->entries) {
			if (ops[next].finished) {
				next++;
				continue;
			}
			if (ring_prep(u, &ops[next]))
				break;
			next++;
			inflight++;
		}
		if (!inflight)
			return 0;
		ret = io_uring_submit_and_wait(&u->ring, 1);
		if (ret < 0) {
			if ((ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) ||
			    ++failures >= URING_RETRIES)
				return ret;
		} else {
			failures = 0;
		}
		inflight = ring_reap(u, inflight);
	}
}

int uring_run(struct uring *u, struct uring_op *ops, unsigned int n)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ops[i].done = 0;
		ops[i].error = 0;
		ops[i].retries = 0;
		ops[i].finished = ops[i].opcode != URING_FDATASYNC &&
				  !ops[i].len;
	}
	if (u->ready) {
		ret = ring_run(u, ops, n);
		if (ret) {
			/*
			 * The ring itself failed.  Give it up (closing it
			 * cancels what is left in it) and finish the batch
			 * with plain system calls; so does everything later.
			 */
			log_err("io_uring_submit_and_wait: %s; using pread/pwrite from now on",
				strerror(-ret));
			uring_exit(u);
		}
	}
	for (i = 0; i < n; i++)
		sync_op(&ops[i]);
	for (i = 0; i < n; i++)
		if (ops[i].error)
			return ops[i].error;
	return 0;
}

int uring_one(struct uring *u, enum uring_opcode opcode, int fd, void *buf,
	      uint64_t len, uint64_t off, uint64_t *done)
{
	struct uring_op op = {
		.opcode = opcode,
		.fd = fd,
		.buf = buf,
		.len = len,
		.off = off,
	};
	int ret = uring_run(u, &op, 1);

	if (done)
		*done = op.done;
	return ret;
}

struct uring_orphan {
	struct uring_orphan *next;	/* in u->orphans once orphaned */
	uint64_t tag;
	bool orphaned;
	bool completed;
	char buf[];
};

/* Ns left until @deadline (CLOCK_MONOTONIC ns), 0 if passed. */
static uint64_t ns_left(uint64_t deadline)
{
	uint64_t now = clock_now_ns();

	return now < deadline ? deadline - now : 0;
}

/* A completion for an orphan: it may go at the next reap. */
static void orphan_completed(struct uring_orphan *o)
{
	o->completed = true;
}

/*
 * Waits for @f's one read in flight until @deadline.  Returns its
 * result, or -ETIME.  Completions of orphans seen meanwhile are noted.
 */
static int64_t bounded_wait(struct uring *u, struct uring_orphan *f,
			    uint64_t deadline)
{
	struct __kernel_timespec ts;
	struct io_uring_cqe *cqe;
	struct uring_orphan *o;
	uint64_t left;
	int64_t res;
	int ret;

	for (;;) {
		left = ns_left(deadline);
		if (!left)
			return -ETIME;
		ts.tv_sec = (long long)(left / 1000000000ULL);
		ts.tv_nsec = (long long)(left % 1000000000ULL);
		ret = io_uring_wait_cqe_timeout(&u->ring, &cqe, &ts);
		if (ret == -EINTR)
			continue;
		if (ret < 0)
			return ret;
		o = io_uring_cqe_get_data(cqe);
		res = cqe->res;
		io_uring_cqe_seen(&u->ring, cqe);
		if (o == f)
			return res;
		if (o)
			orphan_completed(o);
	}
}

int uring_read_bounded(struct uring *u, int fd, void *buf, uint64_t len,
		       uint64_t off, uint64_t *done, unsigned int timeout_ms,
		       uint64_t tag, bool async)
{
	uint64_t deadline = clock_now_ns() + (uint64_t)timeout_ms * 1000000ULL;
	struct io_uring_sqe *sqe;
	struct uring_orphan *f;
	unsigned int retries = 0;
	uint64_t got = 0;
	int64_t res = 0;

	*done = 0;
	if (!u->ready)
		return uring_one(u, URING_READ, fd, buf, len, off, done);
	if (u->norphans >= URING_ORPHANS_MAX)
		return -EAGAIN;
	if (len > URING_XFER_MAX)
		return -EINVAL;
	f = calloc(1, sizeof(*f) + len);
	if (!f)
		return -ENOMEM;
	f->tag = tag;
	while (got < len) {
		sqe = io_uring_get_sqe(&u->ring);
		if (!sqe) {
			free(f);
			return -EBUSY;
		}
		io_uring_prep_read(sqe, fd, f->buf + got, (unsigned int)(len - got),
				   off + got);
		if (async)
			io_uring_sqe_set_flags(sqe, IOSQE_ASYNC);
		io_uring_sqe_set_data(sqe, f);
		res = io_uring_submit(&u->ring);
		if (res >= 0)
			res = bounded_wait(u, f, deadline);
		if (res == -ETIME) {
			/* In flight on f->buf: f is the kernel's until it ends. */
			f->orphaned = true;
			f->next = u->orphans;
			u->orphans = f;
			u->norphans++;
			return -ETIMEDOUT;
		}
		if ((res == -EINTR || res == -EAGAIN) &&
		    ++retries < URING_RETRIES)
			continue;
		if (res <= 0)
			break;
		got += (uint64_t)res;
	}
	memcpy(buf, f->buf, got);
	free(f);
	*done = got;
	return res < 0 ? (int)res : 0;
}

void uring_reap_orphans(struct uring *u, void (*fn)(void *arg, uint64_t tag),
			void *arg)
{
	struct uring_orphan **pp, *o;
	struct io_uring_cqe *cqe;

	if (!u->ready || !u->norphans)
		return;
	while (!io_uring_peek_cqe(&u->ring, &cqe)) {
		o = io_uring_cqe_get_data(cqe);
		io_uring_cqe_seen(&u->ring, cqe);
		if (o)
			orphan_completed(o);
	}
	for (pp = &u->orphans; (o = *pp);) {
		if (!o->completed) {
			pp = &o->next;
			continue;
		}
		*pp = o->next;
		u->norphans--;
		if (fn)
			fn(arg, o->tag);
		free(o);
	}
}
