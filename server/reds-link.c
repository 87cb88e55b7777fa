/* reds-link: the server side of the SPICE link stage, one non-blocking state machine per accepted socket. */
#include "reds-private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <spice/enums.h>
#include <spice/protocol.h>

#include "protocol/link.h"
#include "protocol/ticket.h"

/*
 * [TLS handshake] -> header (16) -> LinkMess body -> LinkReply -> [auth mechanism (4)]
 * -> ticket (128) -> result (4) -> LinkedPeer handed to the channel. Errors in the header or
 * LinkMess are answered with a LinkReply carrying the error, auth failures with the link result;
 * then the socket closes.
 * Upstream waits forever for a silent client; we give the whole stage reds->link_timeout_ms.
 */

typedef enum {
    LINK_TLS_HANDSHAKE,                 /* plain streams pass at once */
    LINK_READ_HEADER,
    LINK_READ_MESS,
    LINK_READ_AUTH_MECHANISM,
    LINK_READ_TICKET,
    LINK_FLUSH_THEN_HAND_OFF,
    LINK_FLUSH_THEN_CLOSE,
} LinkState;

struct RedsLink {
    SpiceServer *reds;
    RedStream *stream;                  /* owned until handed off */
    bool skip_auth;
    LinkState state;
    EventLoopWatch *watch;
    EventLoopTimer *timeout;
    SpiceChannelEventInfo *info;        /* owned until handed off or DISCONNECTED */

    uint8_t *in;                        /* what the current state reads */
    size_t in_want;
    size_t in_got;
    uint8_t header[LINK_HEADER_SIZE];
    uint8_t *mess_body;                 /* owned */
    uint8_t auth[LINK_AUTH_MECHANISM_SIZE];
    uint8_t ticket[LINK_TICKET_SIZE];

    LinkMess mess;                      /* valid from LINK_READ_AUTH_MECHANISM on */
    LinkTicketKey *key;                 /* owned */
    uint32_t session_id;                /* for the hand-off */

    WireWriter out;                     /* bytes still to write */
    size_t out_sent;
};

static void link_update_watch(RedsLink *link);

static const char *link_peer_name(const RedsLink *link, char *buf, size_t size)
{
    const struct sockaddr_storage *ss = &link->info->paddr_ext;
    if (ss->ss_family == AF_INET || ss->ss_family == AF_INET6) {
        char host[64] = "?";
        int port = 0;
        if (ss->ss_family == AF_INET) {
            const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
            inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
            port = ntohs(in->sin_port);
        } else {
            const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
            inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
            port = ntohs(in6->sin6_port);
        }
        g_snprintf(buf, size, "%s:%d", host, port);
    } else {
        g_snprintf(buf, size, "a local client");
    }
    return buf;
}

static void link_free(RedsLink *link, bool report_disconnected)
{
    SpiceServer *reds = link->reds;
    /* A main link that began a session but never reached its channel must end that session. */
    bool orphan_session = link->state == LINK_FLUSH_THEN_HAND_OFF &&
                          link->mess.channel_type == SPICE_CHANNEL_MAIN && link->stream != NULL;
    uint32_t session_id = link->session_id;
    reds->links = g_list_remove(reds->links, link);
    event_loop_watch_remove(link->watch);
    event_loop_timer_remove(link->timeout);
    red_stream_free(link->stream);
    if (link->info) {
        if (report_disconnected) {
            reds_report_channel_event(reds, SPICE_CHANNEL_EVENT_DISCONNECTED, link->info, g_free);
        } else {
            g_free(link->info);
        }
    }
    g_free(link->mess_body);
    link_mess_clear(&link->mess);
    link_ticket_key_free(link->key);
    wire_writer_finish(&link->out);
    g_free(link);
    if (orphan_session) {
        reds_session_end(reds, session_id);
    }
}

void reds_link_free_all(SpiceServer *reds)
{
    while (reds->links) {
        link_free(reds->links->data, true);
    }
}

/* One log line per refused link, naming the reason. */
static void link_refuse_log(RedsLink *link, SpiceLinkErr err, const char *why)
{
    char peer[96];
    g_message("spice: refused link from %s to channel %u:%u: %s (%s)",
              link_peer_name(link, peer, sizeof(peer)), link->mess.channel_type,
              link->mess.channel_id, link_error_to_string(err), why);
}

/* Returns false when nothing is left to write. Closes on error. */
static bool link_write_pending(RedsLink *link, bool *failed)
{
    *failed = false;
    size_t size = wire_writer_size(&link->out);
    while (link->out_sent < size) {
        ssize_t n = red_stream_write(link->stream, wire_writer_data(&link->out) + link->out_sent,
                                     size - link->out_sent);
        if (n > 0) {
            link->out_sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            return true;
        }
        *failed = true;
        return true;
    }
    wire_writer_reset(&link->out);
    link->out_sent = 0;
    return false;
}

static void link_expect(RedsLink *link, LinkState state, uint8_t *buf, size_t want)
{
    link->state = state;
    link->in = buf;
    link->in_want = want;
    link->in_got = 0;
}

/* Sends a LinkReply carrying @err, then closes. */
static void link_fail_with_reply(RedsLink *link, SpiceLinkErr err, const char *why)
{
    link_refuse_log(link, err, why);
    wire_writer_reset(&link->out);
    link->out_sent = 0;
    link_write_reply(&link->out, err, NULL, NULL, 0, NULL, 0);
    link->state = LINK_FLUSH_THEN_CLOSE;
}

/* Sends the link result @err, then closes. */
static void link_fail_with_result(RedsLink *link, SpiceLinkErr err, const char *why)
{
    link_refuse_log(link, err, why);
    link_write_result(&link->out, err);
    link->state = LINK_FLUSH_THEN_CLOSE;
}

/* spice_server_set_channel_security: may this channel be linked over this kind of stream? */
static bool channel_security_allows(SpiceServer *reds, uint8_t type, bool tls)
{
    int security = reds->config.channel_security[type];
    if (security < 0) {
        security = reds->config.default_security;
    }
    return (security & (tls ? SPICE_CHANNEL_SECURITY_SSL : SPICE_CHANNEL_SECURITY_NONE)) != 0;
}

static void link_on_header(RedsLink *link)
{
    uint32_t body_size = 0;
    SpiceLinkErr err = link_parse_header(link->header, &body_size);
    if (err != SPICE_LINK_ERR_OK) {
        link_fail_with_reply(link, err, "bad link header");
        return;
    }
    link->mess_body = g_malloc(body_size);
    link_expect(link, LINK_READ_MESS, link->mess_body, body_size);
}

static void link_on_mess(RedsLink *link)
{
    SpiceServer *reds = link->reds;
    SpiceLinkErr err = link_parse_mess(link->mess_body, link->in_want, &link->mess);
    g_clear_pointer(&link->mess_body, g_free);
    if (err != SPICE_LINK_ERR_OK) {
        link_fail_with_reply(link, err, "malformed link message");
        return;
    }
    /* As upstream, security first: spice-gtk answers NEED_SECURED by relinking over TLS. */
    bool tls = red_stream_is_tls(link->stream);
    if (!channel_security_allows(reds, link->mess.channel_type, tls)) {
        if (tls) {
            link_fail_with_reply(link, SPICE_LINK_ERR_NEED_UNSECURED,
                                 "the channel is plaintext only (spice_server_set_channel_security)");
        } else {
            link_fail_with_reply(link, SPICE_LINK_ERR_NEED_SECURED,
                                 "the channel requires TLS (spice_server_set_channel_security)");
        }
        return;
    }
    RedsChannelEntry *channel = reds_find_channel(reds, link->mess.channel_type, link->mess.channel_id);
    if (!channel) {
        /* Upstream just closes here; a reply tells the client why. */
        link_fail_with_reply(link, SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE, "no such channel");
        return;
    }
    link->key = link_ticket_key_new();
    uint8_t pubkey[SPICE_TICKET_PUBKEY_BYTES];
    if (!link->key || !link_ticket_key_public_der(link->key, pubkey)) {
        link_fail_with_reply(link, SPICE_LINK_ERR_ERROR, "cannot make an RSA-1024 ticket key");
        return;
    }
    uint32_t common_caps = 0;
    link_caps_set(&common_caps, SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION);
    link_caps_set(&common_caps, SPICE_COMMON_CAP_AUTH_SPICE);
    link_caps_set(&common_caps, SPICE_COMMON_CAP_MINI_HEADER);
    link_write_reply(&link->out, SPICE_LINK_ERR_OK, pubkey, &common_caps, 1,
                     channel->caps, channel->num_caps);

    if (link_caps_has(link->mess.common_caps, link->mess.num_common_caps,
                      SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION)) {
        link_expect(link, LINK_READ_AUTH_MECHANISM, link->auth, sizeof(link->auth));
    } else {
        link_expect(link, LINK_READ_TICKET, link->ticket, sizeof(link->ticket));
    }
}

static void link_on_auth_mechanism(RedsLink *link)
{
    uint32_t mechanism = link_parse_auth_mechanism(link->auth);
    if (mechanism != SPICE_COMMON_CAP_AUTH_SPICE) {
        /* As upstream: a whole LinkHeader + LinkReply carrying the error, not a bare result
         * (tests/interop test-hostile bogus-mechanism). Appended: the OK reply may be unsent. */
        link_refuse_log(link, SPICE_LINK_ERR_INVALID_DATA,
                        "the client chose an auth mechanism other than SPICE tickets "
                        "(SASL is not supported)");
        link_write_reply(&link->out, SPICE_LINK_ERR_INVALID_DATA, NULL, NULL, 0, NULL, 0);
        link->state = LINK_FLUSH_THEN_CLOSE;
        return;
    }
    link_expect(link, LINK_READ_TICKET, link->ticket, sizeof(link->ticket));
}

static bool ticket_expired(SpiceServer *reds)
{
    int64_t now = g_get_monotonic_time() / G_USEC_PER_SEC;
    return reds->config.ticket_expiry_s < now;
}

static void link_on_ticket(RedsLink *link)
{
    SpiceServer *reds = link->reds;
    char password[SPICE_MAX_PASSWORD_LENGTH + 1];
    bool decrypted = link_ticket_decrypt(link->key, link->ticket, password, sizeof(password));
    g_clear_pointer(&link->key, link_ticket_key_free);
    if (!decrypted) {
        link_fail_with_result(link, SPICE_LINK_ERR_PERMISSION_DENIED, "the ticket does not decrypt");
        return;
    }
    if (reds->config.ticketing_enabled && !link->skip_auth) {
        if (reds->config.password[0] == '\0') {
            link_fail_with_result(link, SPICE_LINK_ERR_PERMISSION_DENIED,
                                  "ticketing is on but no password is set: call "
                                  "spice_server_set_ticket or spice_server_set_noauth");
            memset(password, 0, sizeof(password));
            return;
        }
        if (ticket_expired(reds)) {
            link_fail_with_result(link, SPICE_LINK_ERR_PERMISSION_DENIED, "the password has expired");
            memset(password, 0, sizeof(password));
            return;
        }
        if (strcmp(password, reds->config.password) != 0) {
            link_fail_with_result(link, SPICE_LINK_ERR_PERMISSION_DENIED, "wrong password");
            memset(password, 0, sizeof(password));
            return;
        }
    }
    memset(password, 0, sizeof(password));

    uint8_t type = link->mess.channel_type;
    if (!reds_find_channel(reds, type, link->mess.channel_id)) {
        link_fail_with_result(link, SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE,
                              "the channel went away during the link");
        return;
    }
    if (type == SPICE_CHANNEL_MAIN) {
        if (link->mess.connection_id != 0) {
            g_message("spice: main link with connection id %u (migration target) is served as a "
                      "new session: migration is not supported", link->mess.connection_id);
        }
        link->session_id = reds_session_begin(reds);
    } else {
        if (reds->session_id == 0 || link->mess.connection_id != reds->session_id) {
            link_fail_with_result(link, SPICE_LINK_ERR_BAD_CONNECTION_ID,
                                  "no session with that connection id");
            return;
        }
        link->session_id = reds->session_id;
    }
    link_write_result(&link->out, SPICE_LINK_ERR_OK);
    link->state = LINK_FLUSH_THEN_HAND_OFF;
}

static void link_hand_off(RedsLink *link)
{
    SpiceServer *reds = link->reds;
    RedsChannelEntry *channel = reds_find_channel(reds, link->mess.channel_type, link->mess.channel_id);
    if (!channel || (link->mess.channel_type != SPICE_CHANNEL_MAIN &&
                     link->session_id != reds->session_id)) {
        char peer[96];
        g_message("spice: dropped link from %s to channel %u:%u: the channel or session went away",
                  link_peer_name(link, peer, sizeof(peer)), link->mess.channel_type,
                  link->mess.channel_id);
        link_free(link, true);
        return;
    }

    LinkedPeer *peer = g_new0(LinkedPeer, 1);
    peer->stream = link->stream;
    peer->fd = red_stream_get_fd(link->stream);
    link->stream = NULL;
    peer->connection_id = link->session_id;
    peer->channel_type = link->mess.channel_type;
    peer->channel_id = link->mess.channel_id;
    peer->common_caps = link->mess.common_caps;
    peer->num_common_caps = link->mess.num_common_caps;
    peer->channel_caps = link->mess.channel_caps;
    peer->num_channel_caps = link->mess.num_channel_caps;
    link->mess.common_caps = NULL;
    link->mess.channel_caps = NULL;
    peer->use_mini_header = linked_peer_caps_have(peer->common_caps, peer->num_common_caps,
                                                  SPICE_COMMON_CAP_MINI_HEADER);
    peer->event_info = link->info;
    link->info = NULL;
    peer->reds = reds;

    peer->event_info->connection_id = (int)peer->connection_id;
    peer->event_info->type = peer->channel_type;
    peer->event_info->id = peer->channel_id;

    RedsChannelLinkFunc func = channel->link;
    void *opaque = channel->opaque;
    link_free(link, false);

    reds_report_channel_event(reds, SPICE_CHANNEL_EVENT_INITIALIZED, peer->event_info, NULL);
    func(peer, opaque);
}

/* Runs states until one needs more bytes or the link ends. Returns false when @link is gone. */
static bool link_advance(RedsLink *link)
{
    for (;;) {
        bool failed = false;
        bool pending = link_write_pending(link, &failed);
        if (failed) {
            char peer[96];
            g_debug("spice: link from %s: write failed (%s)", link_peer_name(link, peer, sizeof(peer)),
                    g_strerror(errno));
            link_free(link, true);
            return false;
        }
        if (link->state == LINK_FLUSH_THEN_CLOSE) {
            if (!pending) {
                link_free(link, true);
                return false;
            }
            return true;
        }
        if (link->state == LINK_FLUSH_THEN_HAND_OFF) {
            if (!pending) {
                link_hand_off(link);
                return false;
            }
            return true;
        }
        if (link->state == LINK_TLS_HANDSHAKE) {
            RedStreamHandshake h = red_stream_handshake(link->stream);
            if (h == RED_STREAM_HANDSHAKE_WOULD_BLOCK) {
                return true;
            }
            if (h == RED_STREAM_HANDSHAKE_FAILED) {
                char peer[96];
                g_message("spice: TLS handshake with %s failed (%s); closing the connection",
                          link_peer_name(link, peer, sizeof(peer)), red_stream_error(link->stream));
                link_free(link, true);
                return false;
            }
            link_expect(link, LINK_READ_HEADER, link->header, sizeof(link->header));
            continue;
        }
        /* Reading states. */
        while (link->in_got < link->in_want) {
            ssize_t n = red_stream_read(link->stream, link->in + link->in_got,
                                        link->in_want - link->in_got);
            if (n > 0) {
                link->in_got += (size_t)n;
                continue;
            }
            if (n < 0 && errno == EAGAIN) {
                return true;
            }
            char peer[96];
            if (n < 0) {
                g_message("spice: link from %s failed during the link stage (%s)",
                          link_peer_name(link, peer, sizeof(peer)), red_stream_error(link->stream));
            } else {
                g_debug("spice: link from %s closed during the link stage",
                        link_peer_name(link, peer, sizeof(peer)));
            }
            link_free(link, true);
            return false;
        }
        switch (link->state) {
        case LINK_READ_HEADER:
            link_on_header(link);
            break;
        case LINK_READ_MESS:
            link_on_mess(link);
            break;
        case LINK_READ_AUTH_MECHANISM:
            link_on_auth_mechanism(link);
            break;
        case LINK_READ_TICKET:
            link_on_ticket(link);
            break;
        default:
            break;
        }
    }
}

static void link_update_watch(RedsLink *link)
{
    /* RED_STREAM_OP_* are EVENT_LOOP_* bit for bit; a TLS handshake says itself what it needs. */
    int mask = red_stream_watch_mask(link->stream, link->state <= LINK_READ_TICKET,
                                     wire_writer_size(&link->out) > link->out_sent);
    event_loop_watch_update_mask(link->watch, mask);
}

static void link_io(int fd, int events, void *opaque)
{
    RedsLink *link = opaque;
    if (link_advance(link)) {
        link_update_watch(link);
    }
}

static void link_timed_out(void *opaque)
{
    RedsLink *link = opaque;
    char peer[96];
    g_message("spice: link from %s timed out after %u ms in the link stage; closing it",
              link_peer_name(link, peer, sizeof(peer)), link->reds->link_timeout_ms);
    link_free(link, true);
}

static SpiceChannelEventInfo *event_info_for_socket(int fd, bool tls)
{
    SpiceChannelEventInfo *info = g_new0(SpiceChannelEventInfo, 1);
    /* QEMU's query-spice reports "tls" per channel from this flag. */
    info->flags = SPICE_CHANNEL_EVENT_FLAG_ADDR_EXT | (tls ? SPICE_CHANNEL_EVENT_FLAG_TLS : 0);
    info->llen_ext = sizeof(info->laddr_ext);
    if (getsockname(fd, (struct sockaddr *)&info->laddr_ext, &info->llen_ext) < 0) {
        info->llen_ext = 0;
    }
    info->plen_ext = sizeof(info->paddr_ext);
    if (getpeername(fd, (struct sockaddr *)&info->paddr_ext, &info->plen_ext) < 0) {
        info->plen_ext = 0;
    }
    return info;
}

static void prepare_client_socket(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));   /* fails harmlessly on unix */
}

/* Takes ownership of @stream; the handshake (nothing for plain streams) comes first. */
static void link_start_stream(SpiceServer *reds, RedStream *stream, bool skip_auth)
{
    int fd = red_stream_get_fd(stream);
    RedsLink *link = g_new0(RedsLink, 1);
    link->reds = reds;
    link->stream = stream;
    link->skip_auth = skip_auth;
    link->info = event_info_for_socket(fd, red_stream_is_tls(stream));
    wire_writer_init(&link->out);
    link->state = LINK_TLS_HANDSHAKE;
    reds->links = g_list_prepend(reds->links, link);

    reds_report_channel_event(reds, SPICE_CHANNEL_EVENT_CONNECTED, link->info, NULL);

    link->watch = event_loop_watch_add(reds->loop, fd,
                                       red_stream_watch_mask(stream, true, false), link_io, link);
    link->timeout = event_loop_timer_add(reds->loop, link_timed_out, link);
    if (!link->watch || !link->timeout) {
        link_free(link, true);
        return;
    }
    event_loop_timer_start(link->timeout, reds->link_timeout_ms);
    /* A plain stream has no handshake: go on to the header at once. */
    if (link_advance(link)) {
        link_update_watch(link);
    }
}

void reds_link_start(SpiceServer *reds, int fd, bool skip_auth)
{
    prepare_client_socket(fd);
    link_start_stream(reds, red_stream_new_plain(fd), skip_auth);
}

bool reds_link_start_tls(SpiceServer *reds, int fd, bool skip_auth)
{
    if (!reds->tls_ctx) {
        return false;
    }
    RedStream *stream = red_stream_new_tls(fd, reds->tls_ctx);
    if (!stream) {
        return false;
    }
    prepare_client_socket(fd);
    link_start_stream(reds, stream, skip_auth);
    return true;
}
