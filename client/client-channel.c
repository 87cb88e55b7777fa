/* client-channel: non-blocking connect (TCP, TLS, unix), link stage and message framing of one client channel. */
#include "client/client-channel.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>
#include <spice/enums.h>
#include <spice/protocol.h>

#include "protocol/ack-window.h"
#include "protocol/base-messages.h"
#include "protocol/framing.h"
#include "protocol/link.h"
#include "protocol/ticket.h"

/* Largest message body we accept: an uncompressed 4K frame is 33 MB. */
#define CHANNEL_MAX_MESSAGE (128u * 1024u * 1024u)
/* Bytes asked of the socket per read. */
#define READ_CHUNK 65536u

typedef enum Phase {
    PHASE_CONNECTING,
    PHASE_TLS_HANDSHAKE,
    PHASE_LINK_HEADER,
    PHASE_LINK_BODY,
    PHASE_LINK_RESULT,
    PHASE_MESSAGES,
    PHASE_CLOSED,
} Phase;

struct ClientChannel {
    char *host;
    char *unix_path;               /* NULL: TCP */
    uint16_t plain_port, tls_port; /* 0: none */
    ClientTlsContext *tls_ctx;     /* borrowed (the session's) */
    bool use_tls;                  /* this connection runs TLS on tls_port */
    bool switched;                 /* moved once by NEED_SECURED / NEED_UNSECURED */
    uint16_t port;                 /* the TCP port of this connection */
    char *where;                   /* "host:port", "host:port (TLS)", "unix:PATH": for messages */
    ClientTls *tls;                /* owned; non-NULL while a TLS connection is up */
    bool read_wants_write;         /* a TLS read waits for the socket to take bytes */
    bool in_io;                    /* on_io is running (its source may recurse) */
    char *password;
    uint32_t connection_id;
    uint8_t type, id;
    uint32_t *caps;
    uint32_t num_caps;
    unsigned link_timeout_s;
    ClientChannelHandlers handlers;
    void *user;

    struct addrinfo *addrs;        /* owned (freeaddrinfo) */
    struct addrinfo *unix_addr;    /* owned (g_free, with its ai_addr): the unix socket's */
    struct addrinfo *addr_next;    /* the next address to try */
    int fd;
    guint in_source, out_source, timeout_source;
    Phase phase;
    GByteArray *in;                /* received, not yet consumed bytes */
    size_t in_used;                /* consumed prefix of @in */
    GByteArray *out;               /* queued bytes not yet written */
    size_t need;                   /* link phases: bytes the phase waits for */
    bool mini_header;
    LinkReply reply;
    AckCounter ack;
    uint64_t last_serial;          /* clstream: WAIT_FOR_CHANNELS needs what we processed */
    guint resume_source;           /* idle that processes held messages again */
    char *last_error_errno;
};

const char *client_channel_type_name(uint8_t type)
{
    switch (type) {
    case SPICE_CHANNEL_MAIN: return "main";
    case SPICE_CHANNEL_DISPLAY: return "display";
    case SPICE_CHANNEL_INPUTS: return "inputs";
    case SPICE_CHANNEL_CURSOR: return "cursor";
    case SPICE_CHANNEL_PLAYBACK: return "playback";
    case SPICE_CHANNEL_RECORD: return "record";
    default: return "other";
    }
}

static void remove_sources(ClientChannel *ch)
{
    if (ch->in_source) {
        g_source_remove(ch->in_source);
        ch->in_source = 0;
    }
    if (ch->out_source) {
        g_source_remove(ch->out_source);
        ch->out_source = 0;
    }
}

static void remove_timeout(ClientChannel *ch)
{
    if (ch->timeout_source) {
        g_source_remove(ch->timeout_source);
        ch->timeout_source = 0;
    }
}

static void close_socket(ClientChannel *ch)
{
    remove_sources(ch);
    client_tls_free(ch->tls);   /* before close: it may queue close_notify on the socket */
    ch->tls = NULL;
    ch->read_wants_write = false;
    if (ch->fd >= 0) {
        close(ch->fd);
        ch->fd = -1;
    }
}

static void fail(ClientChannel *ch, SpiceClientError error, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void fail(ClientChannel *ch, SpiceClientError error, const char *fmt, ...)
{
    if (ch->phase == PHASE_CLOSED) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *message = g_strdup_printf("%s channel %u (%s): %s", client_channel_type_name(ch->type),
                                    ch->id, ch->where, what);
    ch->phase = PHASE_CLOSED;
    close_socket(ch);
    remove_timeout(ch);
    if (ch->handlers.failed) {
        ch->handlers.failed(ch, error, message, ch->user);
    }
    g_free(what);
    g_free(message);
}

static gboolean on_io(gint fd, GIOCondition cond, gpointer data);
static gboolean on_writable(gint fd, GIOCondition cond, gpointer data);
static void try_connect(ClientChannel *ch);

/* Writes what the TLS connection takes; false when it must wait (or failed: phase CLOSED). */
static bool flush_tls(ClientChannel *ch)
{
    while (ch->out->len > 0 && ch->tls != NULL) {
        size_t written;
        char *error;
        ClientTlsStatus st = client_tls_write(ch->tls, ch->out->data, ch->out->len, &written, &error);
        if (st == CLIENT_TLS_OK) {
            g_byte_array_remove_range(ch->out, 0, (guint)written);
            continue;
        }
        if (st == CLIENT_TLS_WANT_WRITE) {
            return false;
        }
        if (st == CLIENT_TLS_WANT_READ) {
            return true;   /* on_io flushes again once the peer's bytes came */
        }
        fail(ch, SPICE_CLIENT_ERROR_CLOSED, "sending failed: %s",
             error ? error : "the server closed the TLS connection");
        g_free(error);
        return true;
    }
    return true;
}

static void flush_out(ClientChannel *ch)
{
    if (ch->tls != NULL) {
        if (ch->phase == PHASE_TLS_HANDSHAKE) {
            return;   /* the link message waits for the handshake */
        }
        if (!flush_tls(ch) && ch->out_source == 0 && ch->fd >= 0) {
            ch->out_source = g_unix_fd_add(ch->fd, G_IO_OUT, on_writable, ch);
        }
        return;
    }
    while (ch->out->len > 0 && ch->fd >= 0) {
        ssize_t n = send(ch->fd, ch->out->data, ch->out->len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            fail(ch, SPICE_CLIENT_ERROR_CLOSED, "sending failed: %s (the server closed the connection?)",
                 g_strerror(errno));
            return;
        }
        g_byte_array_remove_range(ch->out, 0, (guint)n);
    }
    if (ch->out->len > 0 && ch->out_source == 0 && ch->fd >= 0) {
        ch->out_source = g_unix_fd_add(ch->fd, G_IO_OUT, on_writable, ch);
    }
}

static void pump_input(ClientChannel *ch);

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data)
{
    ClientChannel *ch = data;
    ch->out_source = 0;
    if (ch->phase == PHASE_TLS_HANDSHAKE || ch->read_wants_write) {
        ch->read_wants_write = false;
        pump_input(ch);
    }
    flush_out(ch);
    return G_SOURCE_REMOVE;
}

static void queue(ClientChannel *ch, const uint8_t *data, size_t size)
{
    g_byte_array_append(ch->out, data, (guint)size);
}

void client_channel_send(ClientChannel *ch, uint16_t type, const uint8_t *body, size_t size)
{
    if (ch->phase != PHASE_MESSAGES) {
        return;
    }
    WireWriter w;
    wire_writer_init(&w);
    FrameHeader hdr = { .serial = 0, .type = type, .size = (uint32_t)size, .sub_list = 0 };
    framing_write_header(&w, ch->mini_header, &hdr);
    wire_write_bytes(&w, body, size);
    queue(ch, wire_writer_data(&w), wire_writer_size(&w));
    wire_writer_finish(&w);
    flush_out(ch);
}

static void send_writer(ClientChannel *ch, uint16_t type, WireWriter *w)
{
    client_channel_send(ch, type, wire_writer_data(w), wire_writer_size(w));
}

static gboolean on_link_timeout(gpointer data)
{
    ClientChannel *ch = data;
    ch->timeout_source = 0;
    fail(ch, SPICE_CLIENT_ERROR_TIMEOUT,
         "no answer within %u s while %s (is it a SPICE server? is the VM paused?%s)",
         ch->link_timeout_s,
         ch->phase == PHASE_CONNECTING ? "connecting"
         : ch->phase == PHASE_TLS_HANDSHAKE ? "in the TLS handshake" : "linking",
         ch->phase == PHASE_TLS_HANDSHAKE ? " is this its TLS port?" : "");
    return G_SOURCE_REMOVE;
}

static void send_link_mess(ClientChannel *ch)
{
    uint32_t common = 0;
    link_caps_set(&common, SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION);
    link_caps_set(&common, SPICE_COMMON_CAP_MINI_HEADER);
    WireWriter w;
    wire_writer_init(&w);
    link_write_mess(&w, ch->connection_id, ch->type, ch->id, &common, 1, ch->caps, ch->num_caps);
    queue(ch, wire_writer_data(&w), wire_writer_size(&w));
    wire_writer_finish(&w);
    ch->phase = PHASE_LINK_HEADER;
    ch->need = LINK_HEADER_SIZE;
    flush_out(ch);
}

/* One step of the TLS handshake; the link message follows once it is done. */
static void drive_handshake(ClientChannel *ch)
{
    char *error = NULL;
    ClientTlsStatus st = client_tls_handshake(ch->tls, &error);
    switch (st) {
    case CLIENT_TLS_OK:
        send_link_mess(ch);
        break;
    case CLIENT_TLS_WANT_READ:
        break;   /* the G_IO_IN watch calls again */
    case CLIENT_TLS_WANT_WRITE:
        if (ch->out_source == 0) {
            ch->out_source = g_unix_fd_add(ch->fd, G_IO_OUT, on_writable, ch);
        }
        break;
    default:
        fail(ch, SPICE_CLIENT_ERROR_TLS, "%s", error ? error : "TLS handshake failed");
        break;
    }
    g_free(error);
}

static gboolean on_io(gint fd, GIOCondition cond, gpointer data);

/*
 * g_unix_fd_add(fd, IN | HUP | ERR, on_io, ch), except that dispatching does not block the
 * source: GLib would take the fd out of the poll set before every dispatch and put it back
 * after, each time writing the context's wakeup eventfd (two writes, a read and an extra poll
 * per socket read, every video frame). on_io refuses re-entry, should a handler ever run a
 * nested main loop.
 */
static guint watch_input(int fd, ClientChannel *ch)
{
    GSource *src = g_unix_fd_source_new(fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(src, (GSourceFunc)(void (*)(void))on_io, ch, NULL);
    g_source_set_can_recurse(src, TRUE);
    guint id = g_source_attach(src, NULL);
    g_source_unref(src);
    return id;
}

static gboolean on_connected(gint fd, GIOCondition cond, gpointer data)
{
    ClientChannel *ch = data;
    ch->out_source = 0;
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
    }
    if (err != 0) {
        g_free(ch->last_error_errno);
        ch->last_error_errno = g_strdup(g_strerror(err));
        close_socket(ch);
        try_connect(ch);
        return G_SOURCE_REMOVE;
    }
    if (ch->unix_path == NULL) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    ch->in_source = watch_input(fd, ch);
    if (ch->use_tls) {
        ch->tls = client_tls_new(ch->tls_ctx, fd, ch->host);
        if (ch->tls == NULL) {
            fail(ch, SPICE_CLIENT_ERROR_TLS, "cannot start TLS (out of memory?)");
            return G_SOURCE_REMOVE;
        }
        ch->phase = PHASE_TLS_HANDSHAKE;
        drive_handshake(ch);
        return G_SOURCE_REMOVE;
    }
    send_link_mess(ch);
    return G_SOURCE_REMOVE;
}

/* Tries the addresses of @host in turn; fails with CONNECT when none is left. */
static void try_connect(ClientChannel *ch)
{
    while (ch->addr_next != NULL) {
        struct addrinfo *ai = ch->addr_next;
        ch->addr_next = ai->ai_next;
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            g_free(ch->last_error_errno);
            ch->last_error_errno = g_strdup(g_strerror(errno));
            continue;
        }
        ch->fd = fd;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
            ch->out_source = g_unix_fd_add(fd, G_IO_OUT, on_connected, ch);
            return;
        }
        g_free(ch->last_error_errno);
        ch->last_error_errno = g_strdup(g_strerror(errno));
        close_socket(ch);
    }
    if (ch->unix_path != NULL) {
        fail(ch, SPICE_CLIENT_ERROR_CONNECT,
             "cannot connect to the unix socket: %s (is QEMU running with -spice "
             "unix=on,addr=%s? may this user open it?)",
             ch->last_error_errno ? ch->last_error_errno : "no address", ch->unix_path);
        return;
    }
    fail(ch, SPICE_CLIENT_ERROR_CONNECT,
         "cannot connect: %s (is the SPICE server running and listening on this host and %sport?)",
         ch->last_error_errno ? ch->last_error_errno : "no address", ch->use_tls ? "TLS " : "");
}

/* A unix socket: one address, built here (getaddrinfo knows none). */
static bool unix_address(ClientChannel *ch)
{
    struct sockaddr_un *sun = g_new0(struct sockaddr_un, 1);
    sun->sun_family = AF_UNIX;
    if (strlen(ch->unix_path) >= sizeof(sun->sun_path)) {
        g_free(sun);
        fail(ch, SPICE_CLIENT_ERROR_CONNECT, "the unix socket path is over %zu bytes (use a "
             "shorter path)", sizeof(sun->sun_path) - 1);
        return false;
    }
    memcpy(sun->sun_path, ch->unix_path, strlen(ch->unix_path) + 1);
    struct addrinfo *ai = g_new0(struct addrinfo, 1);
    ai->ai_family = AF_UNIX;
    ai->ai_socktype = SOCK_STREAM;
    ai->ai_addr = (struct sockaddr *)sun;
    ai->ai_addrlen = sizeof(*sun);
    ch->unix_addr = ai;
    ch->addr_next = ai;
    return true;
}

static gboolean start_connect(gpointer data)
{
    ClientChannel *ch = data;
    ch->timeout_source = 0;
    if (ch->unix_path != NULL) {
        if (!unix_address(ch)) {
            return G_SOURCE_REMOVE;
        }
        if (ch->link_timeout_s > 0) {
            ch->timeout_source = g_timeout_add_seconds(ch->link_timeout_s, on_link_timeout, ch);
        }
        try_connect(ch);
        return G_SOURCE_REMOVE;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    char port[8];
    g_snprintf(port, sizeof(port), "%u", ch->port);
    int rc = getaddrinfo(ch->host, port, &hints, &ch->addrs);
    if (rc != 0) {
        fail(ch, SPICE_CLIENT_ERROR_CONNECT, "cannot resolve host: %s (check the host name)",
             gai_strerror(rc));
        return G_SOURCE_REMOVE;
    }
    ch->addr_next = ch->addrs;
    if (ch->link_timeout_s > 0) {
        ch->timeout_source = g_timeout_add_seconds(ch->link_timeout_s, on_link_timeout, ch);
    }
    try_connect(ch);
    return G_SOURCE_REMOVE;
}

static void free_addresses(ClientChannel *ch)
{
    if (ch->addrs) {
        freeaddrinfo(ch->addrs);
        ch->addrs = NULL;
    }
    if (ch->unix_addr) {
        g_free(ch->unix_addr->ai_addr);
        g_free(ch->unix_addr);
        ch->unix_addr = NULL;
    }
    ch->addr_next = NULL;
}

static void set_where(ClientChannel *ch)
{
    g_free(ch->where);
    if (ch->unix_path != NULL) {
        ch->where = g_strdup_printf("unix:%s", ch->unix_path);
    } else {
        bool v6 = strchr(ch->host, ':') != NULL;
        ch->where = g_strdup_printf("%s%s%s:%u%s", v6 ? "[" : "", ch->host, v6 ? "]" : "", ch->port,
                                    ch->use_tls ? " TLS" : "");
    }
}

/* Starts over on the other port (TLS or plain) from the main loop, as spice-gtk does when the
 * server names the channel's required security in its link reply. */
static void reconnect_switching(ClientChannel *ch, bool tls)
{
    g_debug("%s channel %u: the server wants it %s; reconnecting to port %u",
            client_channel_type_name(ch->type), ch->id, tls ? "over TLS" : "unencrypted",
            tls ? ch->tls_port : ch->plain_port);
    close_socket(ch);
    remove_timeout(ch);
    free_addresses(ch);
    link_reply_clear(&ch->reply);
    g_byte_array_set_size(ch->in, 0);
    ch->in_used = 0;
    g_byte_array_set_size(ch->out, 0);
    ch->switched = true;
    ch->use_tls = tls;
    ch->port = tls ? ch->tls_port : ch->plain_port;
    set_where(ch);
    ch->phase = PHASE_CONNECTING;
    ch->timeout_source = g_idle_add(start_connect, ch);
}

static void handle_link_reply(ClientChannel *ch, const uint8_t *body, size_t size)
{
    if (link_parse_reply(body, size, &ch->reply) != SPICE_LINK_ERR_OK) {
        fail(ch, SPICE_CLIENT_ERROR_PROTOCOL, "malformed link reply of %zu bytes", size);
        return;
    }
    if (ch->reply.error == SPICE_LINK_ERR_NEED_SECURED) {
        if (!ch->use_tls && !ch->switched && ch->tls_port != 0 && ch->tls_ctx != NULL) {
            reconnect_switching(ch, true);
            return;
        }
        fail(ch, SPICE_CLIENT_ERROR_TLS,
             "the server requires TLS for this channel (NEED_SECURED): give its TLS port "
             "(spice+tls://host:TLSPORT, ?tls-port=N, or tls-port= in a .vv file)");
        return;
    }
    if (ch->reply.error == SPICE_LINK_ERR_NEED_UNSECURED) {
        if (ch->use_tls && !ch->switched && ch->plain_port != 0) {
            reconnect_switching(ch, false);
            return;
        }
        fail(ch, SPICE_CLIENT_ERROR_PROTOCOL,
             "the server wants this channel unencrypted (NEED_UNSECURED) but no plain port is "
             "known: give it too (spice://host?port=N&tls-port=M)");
        return;
    }
    if (ch->reply.error != SPICE_LINK_ERR_OK) {
        fail(ch, SPICE_CLIENT_ERROR_PROTOCOL, "the server refused the link: %s",
             link_error_to_string((SpiceLinkErr)ch->reply.error));
        return;
    }
    ch->mini_header = link_caps_has(ch->reply.common_caps, ch->reply.num_common_caps,
                                    SPICE_COMMON_CAP_MINI_HEADER);
    WireWriter w;
    wire_writer_init(&w);
    if (link_caps_has(ch->reply.common_caps, ch->reply.num_common_caps,
                      SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION)) {
        if (!link_caps_has(ch->reply.common_caps, ch->reply.num_common_caps,
                           SPICE_COMMON_CAP_AUTH_SPICE)) {
            wire_writer_finish(&w);
            fail(ch, SPICE_CLIENT_ERROR_UNSUPPORTED,
                 "the server offers only SASL authentication, which this client does not do yet");
            return;
        }
        link_write_auth_mechanism(&w, SPICE_COMMON_CAP_AUTH_SPICE);
    }
    uint8_t ticket[LINK_TICKET_CIPHERTEXT_BYTES];
    if (!link_ticket_encrypt(ch->reply.pub_key, sizeof(ch->reply.pub_key),
                             ch->password ? ch->password : "", ticket)) {
        wire_writer_finish(&w);
        fail(ch, SPICE_CLIENT_ERROR_PROTOCOL,
             "cannot encrypt the password with the server's key (bad key, or a password over %d "
             "characters)", SPICE_MAX_PASSWORD_LENGTH);
        return;
    }
    wire_write_bytes(&w, ticket, sizeof(ticket));
    queue(ch, wire_writer_data(&w), wire_writer_size(&w));
    wire_writer_finish(&w);
    ch->phase = PHASE_LINK_RESULT;
    ch->need = LINK_RESULT_SIZE;
    flush_out(ch);
}

static void handle_link_result(ClientChannel *ch, uint32_t result)
{
    if (result == SPICE_LINK_ERR_PERMISSION_DENIED) {
        fail(ch, SPICE_CLIENT_ERROR_AUTH,
             "authentication failed (PERMISSION_DENIED): wrong or expired password? give the "
             "right one with --password or ?password= in the URI");
        return;
    }
    if (result != SPICE_LINK_ERR_OK) {
        fail(ch, SPICE_CLIENT_ERROR_PROTOCOL, "the server refused the link: %s",
             link_error_to_string((SpiceLinkErr)result));
        return;
    }
    remove_timeout(ch);
    ch->phase = PHASE_MESSAGES;
    ack_counter_init(&ch->ack);
    if (ch->handlers.linked) {
        ch->handlers.linked(ch, ch->user);
    }
}

static void dispatch(ClientChannel *ch, uint16_t type, const uint8_t *body, size_t size);

static void dispatch_sub(uint16_t type, const uint8_t *sub, size_t sub_size, void *user)
{
    ClientChannel *ch = user;
    if (ch->phase == PHASE_MESSAGES && type != SPICE_MSG_LIST) {
        dispatch(ch, type, sub, sub_size);
    }
}

/* Splits a LIST body: count u16, then u32 offsets of {type u16, size u32, body}. */
static bool split_list(ClientChannel *ch, const uint8_t *body, size_t size)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    uint16_t count = wire_read_u16(&r);
    if (!wire_reader_ok(&r) || (size_t)count * 4u > wire_reader_remaining(&r)) {
        return false;
    }
    for (int pass = 0; pass < 2; pass++) {
        wire_reader_seek(&r, 2);
        for (uint16_t i = 0; i < count && ch->phase == PHASE_MESSAGES; i++) {
            uint32_t off = wire_read_u32(&r);
            if (!wire_reader_ok(&r) || off > size) {
                return false;
            }
            WireReader s;
            wire_reader_init(&s, body + off, size - off);
            uint16_t type = wire_read_u16(&s);
            uint32_t sub_size = wire_read_u32(&s);
            const uint8_t *sub = wire_read_span(&s, sub_size);
            if (sub == NULL) {
                return false;
            }
            if (pass == 1) {
                dispatch_sub(type, sub, sub_size, ch);
            }
        }
    }
    return true;
}

static void dispatch(ClientChannel *ch, uint16_t type, const uint8_t *body, size_t size)
{
    WireWriter w;
    switch (type) {
    case SPICE_MSG_SET_ACK: {
        uint32_t generation, window;
        if (!base_msg_parse_set_ack(body, size, &generation, &window)) {
            fail(ch, SPICE_CLIENT_ERROR_PROTOCOL, "malformed SET_ACK");
            return;
        }
        wire_writer_init(&w);
        base_msg_write_ack_sync(&w, generation);
        send_writer(ch, SPICE_MSGC_ACK_SYNC, &w);
        wire_writer_finish(&w);
        ack_counter_set(&ch->ack, window);
        return;
    }
    case SPICE_MSG_PING: {
        uint32_t id;
        uint64_t timestamp;
        if (!base_msg_parse_ping(body, size, &id, &timestamp)) {
            fail(ch, SPICE_CLIENT_ERROR_PROTOCOL, "malformed PING");
            return;
        }
        wire_writer_init(&w);
        base_msg_write_pong(&w, id, timestamp);
        send_writer(ch, SPICE_MSGC_PONG, &w);
        wire_writer_finish(&w);
        return;
    }
    case SPICE_MSG_NOTIFY: {
        BaseNotify n;
        if (base_msg_parse_notify(body, size, &n)) {
            g_message("%s channel %u: server notice: %.*s", client_channel_type_name(ch->type), ch->id,
                      (int)n.message_len, (const char *)n.message);
        }
        return;
    }
    case SPICE_MSG_LIST:
        if (!split_list(ch, body, size)) {
            g_warning("%s channel %u: dropped a malformed message LIST of %zu bytes",
                      client_channel_type_name(ch->type), ch->id, size);
        }
        return;
    case SPICE_MSG_WAIT_FOR_CHANNELS:
    case SPICE_MSG_DISCONNECTING:
    case SPICE_MSG_MIGRATE:
    case SPICE_MSG_MIGRATE_DATA:
        return;   /* WAIT_FOR_CHANNELS: the owner's hold handler already waited for it */
    default:
        if (ch->handlers.message) {
            ch->handlers.message(ch, type, body, size, ch->user);
        }
    }
}

/* Consumes whole units from @in as the phase requires; stops when more bytes are needed. */
static void process_input(ClientChannel *ch)
{
    while (ch->phase != PHASE_CLOSED && ch->phase != PHASE_CONNECTING) {
        const uint8_t *data = ch->in->data + ch->in_used;
        size_t avail = ch->in->len - ch->in_used;
        if (ch->phase == PHASE_MESSAGES) {
            size_t hsize = framing_header_size(ch->mini_header);
            FrameHeader hdr;
            if (avail < hsize || !framing_parse_header(data, avail, ch->mini_header, &hdr)) {
                break;
            }
            if (hdr.size > CHANNEL_MAX_MESSAGE) {
                fail(ch, SPICE_CLIENT_ERROR_PROTOCOL, "message type %u of %u bytes is over our %u limit",
                     hdr.type, hdr.size, CHANNEL_MAX_MESSAGE);
                return;
            }
            if (avail - hsize < hdr.size) {
                break;
            }
            if (ch->handlers.hold
                && ch->handlers.hold(ch, hdr.type, data + hsize, hdr.size, ch->user)) {
                break;   /* held (it stays in @in) until client_channel_resume */
            }
            ch->in_used += hsize + hdr.size;
            dispatch(ch, hdr.type, data + hsize, hdr.size);
            ch->last_serial = ch->mini_header ? ch->last_serial + 1 : hdr.serial;
            if (ch->phase == PHASE_MESSAGES && ack_counter_tick(&ch->ack)) {
                client_channel_send(ch, SPICE_MSGC_ACK, NULL, 0);
            }
            continue;
        }
        if (avail < ch->need) {
            break;
        }
        ch->in_used += ch->need;
        if (ch->phase == PHASE_LINK_HEADER) {
            uint32_t body_size;
            SpiceLinkErr err = link_parse_reply_header(data, &body_size);
            if (err != SPICE_LINK_ERR_OK) {
                fail(ch, SPICE_CLIENT_ERROR_PROTOCOL,
                     "the peer's link header is invalid (%s): is it a SPICE server? (TLS port?)",
                     link_error_to_string(err));
                return;
            }
            ch->phase = PHASE_LINK_BODY;
            ch->need = body_size;
        } else if (ch->phase == PHASE_LINK_BODY) {
            handle_link_reply(ch, data, ch->need);
        } else if (ch->phase == PHASE_LINK_RESULT) {
            handle_link_result(ch, link_parse_result(data));
        }
    }
    /* Drop the consumed prefix once it is most of the buffer (keeps memmove cost low). */
    if (ch->in_used > 0 && (ch->in_used == ch->in->len || ch->in_used > 1024 * 1024)) {
        g_byte_array_remove_range(ch->in, 0, (guint)ch->in_used);
        ch->in_used = 0;
    }
}

typedef enum IoResult { IO_DONE, IO_WAIT, IO_EOF, IO_ERROR } IoResult;

/* Reads from the socket or the TLS connection; IO_ERROR sets *error (g_malloc'd). */
static IoResult transport_recv(ClientChannel *ch, uint8_t *buf, size_t size, size_t *got, char **error)
{
    if (ch->tls != NULL) {
        switch (client_tls_read(ch->tls, buf, size, got, error)) {
        case CLIENT_TLS_OK:
            return IO_DONE;
        case CLIENT_TLS_WANT_READ:
            return IO_WAIT;
        case CLIENT_TLS_WANT_WRITE:
            ch->read_wants_write = true;
            if (ch->out_source == 0) {
                ch->out_source = g_unix_fd_add(ch->fd, G_IO_OUT, on_writable, ch);
            }
            return IO_WAIT;
        case CLIENT_TLS_CLOSED:
            return IO_EOF;
        default:
            return IO_ERROR;
        }
    }
    for (;;) {
        ssize_t n = recv(ch->fd, buf, size, 0);
        if (n > 0) {
            *got = (size_t)n;
            return IO_DONE;
        }
        if (n == 0) {
            return IO_EOF;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return IO_WAIT;
        }
        *error = g_strdup(g_strerror(errno));
        return IO_ERROR;
    }
}

/* Handshake step, or reads what arrived and processes it; reports the end of the connection. */
static void pump_input(ClientChannel *ch)
{
    if (ch->phase == PHASE_TLS_HANDSHAKE) {
        drive_handshake(ch);
        if (ch->phase != PHASE_LINK_HEADER) {
            return;   /* still shaking hands, or failed */
        }
    }
    if (ch->fd < 0) {
        return;
    }
    bool ended = false;
    char *error = NULL;
    /* Bytes already decrypted inside OpenSSL never make the socket readable: take them too. */
    for (int rounds = 0; rounds < 64 || (ch->tls != NULL && client_tls_has_pending(ch->tls)); rounds++) {
        /* Straight into @in's tail (a GByteArray keeps its allocation when it shrinks back):
         * no bounce buffer, so each byte is copied once from the kernel. */
        guint len = ch->in->len;
        if (len > 2u * CHANNEL_MAX_MESSAGE) {
            break;   /* enough for now: process it first (TLS may keep having more) */
        }
        g_byte_array_set_size(ch->in, len + READ_CHUNK);
        size_t got = 0;
        IoResult r = transport_recv(ch, ch->in->data + len, READ_CHUNK, &got, &error);
        g_byte_array_set_size(ch->in, len + (r == IO_DONE ? (guint)got : 0u));
        if (r == IO_DONE) {
            continue;
        }
        ended = r == IO_EOF || r == IO_ERROR;
        break;
    }
    /* Process what arrived first, even at EOF (the last messages matter). */
    process_input(ch);
    if (ended && ch->phase != PHASE_CLOSED && ch->phase != PHASE_CONNECTING) {
        fail(ch, SPICE_CLIENT_ERROR_CLOSED, "the server closed the connection%s%s",
             error ? ": " : "", error ? error : "");
    }
    g_free(error);
}

static gboolean on_io(gint fd, GIOCondition cond, gpointer data)
{
    ClientChannel *ch = data;
    if (ch->in_io) {
        return G_SOURCE_CONTINUE;   /* a nested main loop inside our own handling: later */
    }
    guint self = ch->in_source;
    ch->in_io = true;
    pump_input(ch);
    ch->in_io = false;
    if (ch->in_source != self) {
        return G_SOURCE_REMOVE;   /* closed, failed, or reconnecting on another port */
    }
    if (ch->out->len > 0 && ch->out_source == 0) {
        flush_out(ch);   /* a TLS write may have waited for the peer's bytes */
    }
    return G_SOURCE_CONTINUE;
}

ClientChannel *client_channel_new(const ClientTarget *target, const char *password,
                                  uint32_t connection_id, uint8_t type, uint8_t id,
                                  const uint32_t *channel_caps, uint32_t num_channel_caps,
                                  unsigned link_timeout_s,
                                  const ClientChannelHandlers *handlers, void *user)
{
    ClientChannel *ch = g_new0(ClientChannel, 1);
    ch->unix_path = g_strdup(target->unix_path);
    ch->host = g_strdup(target->unix_path ? "localhost" : target->host);
    ch->plain_port = target->port;
    /* Without a context there is no TLS: the port is as good as unknown. */
    ch->tls_port = target->tls != NULL ? target->tls_port : 0;
    ch->tls_ctx = target->tls;
    ch->use_tls = ch->unix_path == NULL && ch->tls_port != 0 && (target->secure || ch->plain_port == 0);
    ch->port = ch->use_tls ? ch->tls_port : ch->plain_port;
    ch->password = g_strdup(password);
    ch->connection_id = connection_id;
    ch->type = type;
    ch->id = id;
    ch->caps = num_channel_caps ? g_memdup2(channel_caps, num_channel_caps * sizeof(uint32_t)) : NULL;
    ch->num_caps = num_channel_caps;
    ch->link_timeout_s = link_timeout_s;
    ch->handlers = *handlers;
    ch->user = user;
    ch->fd = -1;
    ch->in = g_byte_array_new();
    ch->out = g_byte_array_new();
    ch->phase = PHASE_CONNECTING;
    set_where(ch);
    /* Resolve and connect from the main loop, so no handler runs inside the constructor. */
    ch->timeout_source = g_idle_add(start_connect, ch);
    return ch;
}

static gboolean on_resume(gpointer data)
{
    ClientChannel *ch = data;
    ch->resume_source = 0;
    process_input(ch);
    return G_SOURCE_REMOVE;
}

void client_channel_resume(ClientChannel *ch)
{
    if (ch->resume_source == 0 && ch->phase == PHASE_MESSAGES) {
        ch->resume_source = g_idle_add(on_resume, ch);
    }
}

uint64_t client_channel_last_serial(const ClientChannel *ch)
{
    return ch->last_serial;
}

static void remove_resume(ClientChannel *ch)
{
    if (ch->resume_source) {
        g_source_remove(ch->resume_source);
        ch->resume_source = 0;
    }
}

void client_channel_close(ClientChannel *ch)
{
    remove_resume(ch);
    ch->phase = PHASE_CLOSED;
    close_socket(ch);
    remove_timeout(ch);
}

void client_channel_free(ClientChannel *ch)
{
    if (ch == NULL) {
        return;
    }
    remove_resume(ch);
    ch->phase = PHASE_CLOSED;
    close_socket(ch);
    remove_timeout(ch);
    free_addresses(ch);
    link_reply_clear(&ch->reply);
    g_byte_array_unref(ch->in);
    g_byte_array_unref(ch->out);
    g_free(ch->caps);
    g_free(ch->host);
    g_free(ch->unix_path);
    g_free(ch->where);
    if (ch->password) {
        memset(ch->password, 0, strlen(ch->password));
    }
    g_free(ch->password);
    g_free(ch->last_error_errno);
    g_free(ch);
}

uint8_t client_channel_type(const ClientChannel *ch)
{
    return ch->type;
}

uint8_t client_channel_id(const ClientChannel *ch)
{
    return ch->id;
}

bool client_channel_server_has_cap(const ClientChannel *ch, uint32_t bit)
{
    return link_caps_has(ch->reply.channel_caps, ch->reply.num_channel_caps, bit);
}
