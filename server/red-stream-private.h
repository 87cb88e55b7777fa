/* red-stream-private: the RedStream layout shared by the plain (red-stream.c) and TLS (red-stream-tls.c) kinds. */
#pragma once

#include "red-stream.h"

/* One kind of stream. Every function gets the stream it belongs to. */
typedef struct RedStreamOps {
    RedStreamHandshake (*handshake)(RedStream *stream);
    ssize_t (*read)(RedStream *stream, void *buf, size_t size);
    ssize_t (*writev)(RedStream *stream, const struct iovec *iov, int iovcnt);
    int (*watch_mask)(const RedStream *stream, bool want_read, bool want_write);
    int (*ready_ops)(const RedStream *stream, int events);
    bool (*has_buffered_input)(const RedStream *stream);
    /* Releases what the kind added (not the fd, not the stream itself). */
    void (*finish)(RedStream *stream);
} RedStreamOps;

struct RedStream {
    const RedStreamOps *ops;
    int fd;                         /* owned */
    bool is_tls;
    char error[192];                /* the last failure, for log lines */
};

/* Records errno's text as the stream's last error. */
void red_stream_set_errno_error(RedStream *stream, int err);
