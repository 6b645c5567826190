/* 9P transports: a channel carries whole 9P messages to a server and brings
 * the reply back. The virtio-9p driver (rump/virtio/virtio_9p.c) registers one
 * channel per device, named by the device's mount tag; the 9P2000.L client
 * (rump/fs/v9fs*.c) finds it by that tag. */
#pragma once
#include "kernel.h"

struct p9_chan;

struct p9_chan_ops {
	/* Send the REQLEN-byte message REQ and wait for the reply, written to
	 * RESP (room for RESPLEN bytes); the reply's length in *GOT. Sleeps;
	 * several threads may have requests in flight. 0 or -errno (transport). */
	int (*request)(struct p9_chan *c, const void *req, size_t reqlen, void *resp, size_t resplen, size_t *got);
};

struct p9_chan {
	const struct p9_chan_ops *ops;
	char tag[64];                /* the mount tag, NUL-terminated */
	uint32_t max_msize;          /* the largest message the transport carries */
	bool in_use;                 /* mounted (guarded by the VFS lock) */
	void *priv;                  /* the transport's */
	struct p9_chan *next;
};

/* Make channel C findable by its tag (from a driver's probe). */
int p9_chan_register(struct p9_chan *c);
/* The channel with mount tag TAG, or NULL. */
struct p9_chan *p9_chan_find(const char *tag);
