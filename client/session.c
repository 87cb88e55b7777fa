/* session: SpiceClientSession: the main channel, the channels it lists, state and errors. */
#include "client/spice-client.h"

#include <string.h>

#include <spice/enums.h>
#include <spice/protocol.h>

#include "client/client-channel.h"
#include "client/cursor.h"
#include "client/display-parse.h"
#include "client/display-state.h"
#include "client/main-parse.h"
#include "client/display-stream.h"
#include "client/image-decode.h"
#include "client/inputs.h"
#include "protocol/link.h"
#include "protocol/wire.h"

/* DISPLAY_INIT: what we tell the server about our caches (spice-gtk's ids; 20 M pixels). */
#define PIXMAP_CACHE_ID 1
#define PIXMAP_CACHE_PIXELS (20 * 1024 * 1024)
#define GLZ_DICTIONARY_ID 1
#define MAX_CHANNELS 64u

typedef struct SessionChannel {
    SpiceClientSession *session;
    ClientChannel *channel;
    DisplayState *display;     /* display channels only */
    DisplayStreams *streams;   /* display channels only: video streams (clstream) */
    int64_t wait_since_us;     /* holding a WAIT_FOR_CHANNELS since then (clstream), 0: not */
    InputsState *inputs;       /* the inputs channel only (created when it links) */
    CursorState *cursor;       /* cursor channels only */
} SessionChannel;

struct SpiceClientSession {
    char *host;
    uint16_t port;
    char *password;
    /* Connection (clconnect): a unix socket instead of TCP, the TLS port and what TLS trusts. */
    char *unix_path;
    uint16_t tls_port;
    char *ca_file, *ca_pem, *host_subject;
    uint32_t secure_channels;  /* 1u << SPICE_CHANNEL_* */
    ClientTlsContext *tls;     /* owned; made at connect when there is a TLS port */
    guint setup_failure_source;   /* reports a TLS setup failure from the main loop */
    char *setup_failure;
    unsigned link_timeout_s;
    char *vm_name;             /* MAIN_NAME (gtkview: window titles), NULL until the server says */
    uint8_t preferred_compression;   /* SPICE_IMAGE_COMPRESSION_*, 0 = none */
    SpiceClientCallbacks callbacks;
    void *user;

    SpiceClientState state;
    SpiceClientError error;
    char *error_message;
    uint32_t session_id;

    SessionChannel *main;
    GPtrArray *channels;       /* SessionChannel* (owned), every channel but main */
    ImageCaches *caches;
    /* The server's multimedia clock (clstream): local monotonic ms minus the server's mm time,
     * from MAIN_INIT and MULTI_MEDIA_TIME. Video frames are shown when it reaches their stamp. */
    int64_t mm_offset_ms;
    guint wait_poll;           /* retries channels held by WAIT_FOR_CHANNELS (clstream) */

    /* Inputs and cursor (client/inputs.c, client/cursor.c). */
    SessionChannel *inputs;    /* borrowed from @channels; NULL until the inputs channel links */
    uint32_t supported_mouse_modes;   /* SPICE_MOUSE_MODE_* bits from MAIN_INIT / MOUSE_MODE */
    SpiceClientMouseMode mouse_mode;
    SpiceClientMouseMode wanted_mouse_mode;   /* what we ask for when the server offers it */
    ClientChannel *main_for_inputs;   /* borrowed: the main channel, for MOUSE_MODE_REQUEST */
};

const char *spice_client_error_to_string(SpiceClientError error)
{
    switch (error) {
    case SPICE_CLIENT_ERROR_NONE: return "none";
    case SPICE_CLIENT_ERROR_CONNECT: return "connect";
    case SPICE_CLIENT_ERROR_AUTH: return "auth";
    case SPICE_CLIENT_ERROR_PROTOCOL: return "protocol";
    case SPICE_CLIENT_ERROR_TIMEOUT: return "timeout";
    case SPICE_CLIENT_ERROR_CLOSED: return "closed";
    case SPICE_CLIENT_ERROR_UNSUPPORTED: return "unsupported";
    case SPICE_CLIENT_ERROR_TLS: return "tls";
    }
    return "unknown";
}

static void set_state(SpiceClientSession *s, SpiceClientState state)
{
    if (s->state == state) {
        return;
    }
    s->state = state;
    if (s->callbacks.state_changed) {
        s->callbacks.state_changed(s, state, s->user);
    }
}

static void session_fail(SpiceClientSession *s, SpiceClientError error, const char *message)
{
    if (s->state == SPICE_CLIENT_STATE_FAILED || s->state == SPICE_CLIENT_STATE_CLOSED) {
        return;
    }
    s->error = error;
    s->error_message = g_strdup(message);
    /* A failed session stops talking on every channel; surfaces stay readable until freed. */
    if (s->main) {
        client_channel_close(s->main->channel);
    }
    for (guint i = 0; i < s->channels->len; i++) {
        SessionChannel *sc = g_ptr_array_index(s->channels, i);
        client_channel_close(sc->channel);
    }
    set_state(s, SPICE_CLIENT_STATE_FAILED);
}

static void session_channel_free(gpointer p)
{
    SessionChannel *sc = p;
    if (sc->session && sc->session->inputs == sc) {
        sc->session->inputs = NULL;
    }
    display_streams_free(sc->streams);
    client_channel_free(sc->channel);
    display_state_free(sc->display);
    inputs_state_free(sc->inputs);
    cursor_state_free(sc->cursor);
    g_free(sc);
}

static SessionChannel *find_display(const SpiceClientSession *s, unsigned id)
{
    for (guint i = 0; i < s->channels->len; i++) {
        SessionChannel *sc = g_ptr_array_index(s->channels, i);
        if (sc->display && client_channel_id(sc->channel) == id) {
            return sc;
        }
    }
    return NULL;
}

/* ---- every channel ---- */

static void on_failed(ClientChannel *ch, SpiceClientError error, const char *message, void *user)
{
    SessionChannel *sc = user;
    SpiceClientSession *s = sc->session;
    if (sc == s->main || client_channel_type(ch) == SPICE_CHANNEL_DISPLAY
        || s->state != SPICE_CLIENT_STATE_CONNECTED) {
        /* Without main or a display there is nothing to show: the session fails (the error is
         * the session's value; its owner reports it). */
        session_fail(s, error, message);
    } else {
        g_warning("%s (the session goes on without it)", message);
    }
}

static void on_display_linked(ClientChannel *ch, void *user)
{
    SessionChannel *sc = user;
    SpiceClientSession *s = sc->session;
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u8(&w, PIXMAP_CACHE_ID);
    wire_write_u64(&w, PIXMAP_CACHE_PIXELS);
    wire_write_u8(&w, GLZ_DICTIONARY_ID);
    wire_write_i32(&w, (int32_t)IMAGE_GLZ_WINDOW_PIXELS);
    client_channel_send(ch, SPICE_MSGC_DISPLAY_INIT, wire_writer_data(&w), wire_writer_size(&w));
    wire_writer_finish(&w);
    if (s->preferred_compression != 0) {
        if (client_channel_server_has_cap(ch, SPICE_DISPLAY_CAP_PREF_COMPRESSION)) {
            uint8_t c = s->preferred_compression;
            client_channel_send(ch, SPICE_MSGC_DISPLAY_PREFERRED_COMPRESSION, &c, 1);
        } else {
            g_warning("display %u: the server does not take a preferred compression "
                      "(no PREF_COMPRESSION cap); it keeps its own choice",
                      client_channel_id(ch));
        }
    }
}

/* ---- video streams (clstream): client/display-stream.c does the work ---- */

static uint32_t session_mm_time(SpiceClientSession *s)
{
    return (uint32_t)(g_get_monotonic_time() / 1000 - s->mm_offset_ms);
}

static void set_mm_time(SpiceClientSession *s, uint32_t server_mm_time)
{
    s->mm_offset_ms = g_get_monotonic_time() / 1000 - (int64_t)server_mm_time;
    for (guint i = 0; i < s->channels->len; i++) {
        SessionChannel *sc = g_ptr_array_index(s->channels, i);
        if (sc->streams) {
            display_streams_reschedule(sc->streams);
        }
    }
}

static pixman_image_t *stream_surface(uint32_t surface_id, void *user)
{
    SessionChannel *sc = user;
    return display_state_surface(sc->display, surface_id);
}

static uint32_t stream_mm_time(void *user)
{
    SessionChannel *sc = user;
    return session_mm_time(sc->session);
}

static void stream_send_report(const uint8_t *body, size_t size, void *user)
{
    SessionChannel *sc = user;
    if (client_channel_server_has_cap(sc->channel, SPICE_DISPLAY_CAP_STREAM_REPORT)) {
        client_channel_send(sc->channel, SPICE_MSGC_DISPLAY_STREAM_REPORT, body, size);
    }
}

static void stream_frame_shown(uint32_t surface_id, void *user)
{
    SessionChannel *sc = user;
    SpiceClientSession *s = sc->session;
    if (s->callbacks.display_event) {
        s->callbacks.display_event(s, client_channel_id(sc->channel), SPICE_CLIENT_DISPLAY_DRAW,
                                   s->user);
    }
}

/* Streams end with their surface (SURFACE_DESTROY) or with all surfaces (RESET). */
static void note_surfaces_for_streams(SessionChannel *sc, uint16_t type, const uint8_t *body,
                                      size_t size)
{
    uint32_t surface_id;
    if (type == SPICE_MSG_DISPLAY_RESET) {
        display_streams_clear(sc->streams);
    } else if (type == SPICE_MSG_DISPLAY_SURFACE_DESTROY
               && display_parse_surface_destroy(body, size, &surface_id)) {
        display_streams_surface_gone(sc->streams, surface_id);
    }
}

size_t spice_client_session_stream_stats(const SpiceClientSession *session,
                                         SpiceClientStreamStats *out, size_t max)
{
    size_t total = 0;
    for (guint i = 0; i < session->channels->len; i++) {
        SessionChannel *sc = g_ptr_array_index(session->channels, i);
        if (sc->streams == NULL) {
            continue;
        }
        size_t n = display_streams_stats(sc->streams, NULL, 0);
        DisplayStreamStats *all = g_new0(DisplayStreamStats, n ? n : 1);
        display_streams_stats(sc->streams, all, n);
        for (size_t k = 0; k < n; k++, total++) {
            if (total >= max) {
                continue;
            }
            const DisplayStreamStats *d = &all[k];
            SpiceClientStreamStats *o = &out[total];
            o->display_id = client_channel_id(sc->channel);
            o->stream_id = d->stream_id;
            o->width = d->width;
            o->height = d->height;
            o->frames_received = d->received;
            o->frames_decoded = d->decoded;
            o->frames_shown = d->shown;
            o->frames_dropped = d->dropped;
            o->active = d->active;
            o->seconds_shown = d->shown > 1 ? (double)(d->last_shown_us - d->first_shown_us) / 1e6 : 0;
            o->fps = o->seconds_shown > 0 ? (double)(d->shown - 1) / o->seconds_shown : 0;
        }
        g_free(all);
    }
    return total;
}

static void on_display_message(ClientChannel *ch, uint16_t type, const uint8_t *body, size_t size,
                               void *user)
{
    SessionChannel *sc = user;
    SpiceClientSession *s = sc->session;
    DisplayResult r;
    if (display_streams_handles(type)) {
        r = display_streams_handle(sc->streams, type, body, size);
    } else {
        r = display_state_handle(sc->display, type, body, size);
        note_surfaces_for_streams(sc, type, body, size);
    }
    SpiceClientDisplayEvent ev;
    switch (r) {
    case DISPLAY_RESULT_SURFACE: ev = SPICE_CLIENT_DISPLAY_SURFACE; break;
    case DISPLAY_RESULT_DRAW: ev = SPICE_CLIENT_DISPLAY_DRAW; break;
    case DISPLAY_RESULT_MARK: ev = SPICE_CLIENT_DISPLAY_MARK; break;
    default: return;
    }
    if (s->callbacks.display_event) {
        s->callbacks.display_event(s, client_channel_id(ch), ev, s->user);
    }
}

static void on_other_message(ClientChannel *ch, uint16_t type, const uint8_t *body, size_t size,
                             void *user)
{
    /* Cursor shapes and input acks are not used by this client yet. */
}

/* ---- inputs and cursor channels ---- */

static void inputs_send(void *user, uint16_t type, const uint8_t *body, size_t size)
{
    SessionChannel *sc = user;
    client_channel_send(sc->channel, type, body, size);
}

static void on_inputs_linked(ClientChannel *ch, void *user)
{
    SessionChannel *sc = user;
    if (sc->inputs == NULL) {
        sc->inputs = inputs_state_new(inputs_send, sc);
    }
    if (sc->session->inputs == NULL) {
        sc->session->inputs = sc;
    }
}

static void on_inputs_message(ClientChannel *ch, uint16_t type, const uint8_t *body, size_t size,
                              void *user)
{
    SessionChannel *sc = user;
    if (sc->inputs) {
        inputs_state_handle(sc->inputs, type, body, size);
    }
}

static void on_cursor_message(ClientChannel *ch, uint16_t type, const uint8_t *body, size_t size,
                              void *user)
{
    SessionChannel *sc = user;
    SpiceClientSession *s = sc->session;
    if (cursor_state_handle(sc->cursor, type, body, size) == CURSOR_RESULT_CHANGED
        && s->callbacks.cursor_changed) {
        s->callbacks.cursor_changed(s, s->user);
    }
}

/* Applies the server's mouse modes; asks for client mode when offered (as remote-viewer does). */
static void apply_mouse_modes(SpiceClientSession *s, ClientChannel *main_ch, uint32_t supported,
                              uint32_t current)
{
    s->supported_mouse_modes = supported;
    s->main_for_inputs = main_ch;
    SpiceClientMouseMode mode = current == SPICE_MOUSE_MODE_CLIENT ? SPICE_CLIENT_MOUSE_MODE_CLIENT
                                                                    : SPICE_CLIENT_MOUSE_MODE_SERVER;
    if (mode != s->mouse_mode) {
        s->mouse_mode = mode;
        if (s->callbacks.mouse_mode_changed) {
            s->callbacks.mouse_mode_changed(s, mode, s->user);
        }
    }
    /* SpiceClientMouseMode values are SPICE_MOUSE_MODE_* bits. */
    uint32_t wanted = (uint32_t)s->wanted_mouse_mode;
    if ((supported & wanted) && current != wanted) {
        uint8_t req[2] = { (uint8_t)wanted, 0 };
        client_channel_send(main_ch, SPICE_MSGC_MAIN_MOUSE_MODE_REQUEST, req, sizeof(req));
    }
}

/* Where a channel of @type connects (the strings stay the session's). */
static ClientTarget session_target(const SpiceClientSession *s, uint8_t type)
{
    ClientTarget t = {
        .host = s->host, .port = s->port, .tls_port = s->tls_port, .tls = s->tls,
        .secure = type < 32 && (s->secure_channels & (1u << type)) != 0,
        .unix_path = s->unix_path,
    };
    return t;
}

/* ---- WAIT_FOR_CHANNELS (clstream): a channel's message waits for others' serials ---- */

/* How long a channel waits for the others before going on anyway (a hostile or confused server
 * must not stop it forever), and how often held channels look again. */
#define WAIT_FOR_CHANNELS_MAX_US (5 * G_USEC_PER_SEC)
#define WAIT_POLL_MS 5

static SessionChannel *find_channel(const SpiceClientSession *s, uint8_t type, uint8_t id)
{
    if (s->main && type == SPICE_CHANNEL_MAIN && id == 0) {
        return s->main;
    }
    for (guint i = 0; i < s->channels->len; i++) {
        SessionChannel *sc = g_ptr_array_index(s->channels, i);
        if (client_channel_type(sc->channel) == type && client_channel_id(sc->channel) == id) {
            return sc;
        }
    }
    return NULL;
}

typedef struct WaitCheck {
    const SpiceClientSession *session;
    bool satisfied;
} WaitCheck;

static void check_wait_entry(uint8_t type, uint8_t id, uint64_t serial, void *user)
{
    WaitCheck *c = user;
    SessionChannel *other = find_channel(c->session, type, id);
    /* A channel we do not have cannot be waited for (spice-gtk skips it too). */
    if (other != NULL && client_channel_last_serial(other->channel) < serial) {
        c->satisfied = false;
    }
}

static gboolean on_wait_poll(gpointer data)
{
    SpiceClientSession *s = data;
    s->wait_poll = 0;
    if (s->main && s->main->wait_since_us) {
        client_channel_resume(s->main->channel);
    }
    for (guint i = 0; i < s->channels->len; i++) {
        SessionChannel *sc = g_ptr_array_index(s->channels, i);
        if (sc->wait_since_us) {
            client_channel_resume(sc->channel);
        }
    }
    return G_SOURCE_REMOVE;
}

/* The hold handler of every channel: WAIT_FOR_CHANNELS, and INVAL_ALL_PIXMAPS which carries the
 * same list, wait until the listed channels processed the listed serials. */
static bool on_hold(ClientChannel *ch, uint16_t type, const uint8_t *body, size_t size, void *user)
{
    SessionChannel *sc = user;
    SpiceClientSession *s = sc->session;
    if (type != SPICE_MSG_WAIT_FOR_CHANNELS
        && !(type == SPICE_MSG_DISPLAY_INVAL_ALL_PIXMAPS && sc->display != NULL)) {
        return false;
    }
    WaitCheck c = { s, true };
    if (!display_parse_wait_for_channels(body, size, check_wait_entry, &c)) {
        sc->wait_since_us = 0;
        return false;   /* malformed: the message handler logs and drops it */
    }
    int64_t now = g_get_monotonic_time();
    if (c.satisfied) {
        sc->wait_since_us = 0;
        return false;
    }
    if (sc->wait_since_us == 0) {
        sc->wait_since_us = now;
    } else if (now - sc->wait_since_us > WAIT_FOR_CHANNELS_MAX_US) {
        g_warning("%s channel %u: the channels it waits for (WAIT_FOR_CHANNELS) did not get there "
                  "in %d s; going on without them", client_channel_type_name(client_channel_type(ch)),
                  client_channel_id(ch), (int)(WAIT_FOR_CHANNELS_MAX_US / G_USEC_PER_SEC));
        sc->wait_since_us = 0;
        return false;
    }
    if (s->wait_poll == 0) {
        s->wait_poll = g_timeout_add(WAIT_POLL_MS, on_wait_poll, s);
    }
    return true;
}

static void open_channel(SpiceClientSession *s, uint8_t type, uint8_t id)
{
    if (s->channels->len >= MAX_CHANNELS) {
        g_warning("the server lists more than %u channels; ignoring %s %u", MAX_CHANNELS,
                  client_channel_type_name(type), id);
        return;
    }
    for (guint i = 0; i < s->channels->len; i++) {
        SessionChannel *o = g_ptr_array_index(s->channels, i);
        if (client_channel_type(o->channel) == type && client_channel_id(o->channel) == id) {
            return;   /* listed twice (a later one-entry CHANNELS_LIST) */
        }
    }
    SessionChannel *sc = g_new0(SessionChannel, 1);
    sc->session = s;
    ClientChannelHandlers h = { .failed = on_failed, .message = on_other_message,
                                .hold = on_hold };
    uint32_t caps = 0;
    uint32_t ncaps = 0;
    if (type == SPICE_CHANNEL_DISPLAY) {
        sc->display = display_state_new(id, s->caches);
        StreamHost host = { .surface = stream_surface, .mm_time = stream_mm_time,
                            .send_report = stream_send_report, .frame_shown = stream_frame_shown,
                            .user = sc };
        sc->streams = display_streams_new(id, &host, true);
        /* Video streams: MJPEG only (MULTI_CODEC + CODEC_MJPEG say so explicitly), sized frames,
         * and STREAM_REPORTs so the server can adapt its frame rate to what we show. */
        link_caps_set(&caps, SPICE_DISPLAY_CAP_SIZED_STREAM);
        link_caps_set(&caps, SPICE_DISPLAY_CAP_STREAM_REPORT);
        link_caps_set(&caps, SPICE_DISPLAY_CAP_MULTI_CODEC);
        link_caps_set(&caps, SPICE_DISPLAY_CAP_CODEC_MJPEG);
        h.linked = on_display_linked;
        h.message = on_display_message;
        link_caps_set(&caps, SPICE_DISPLAY_CAP_MONITORS_CONFIG);
        /* We decode SPICE_IMAGE_TYPE_LZ4 (codecs/lz4-image.h); the server sends it only then. */
        link_caps_set(&caps, SPICE_DISPLAY_CAP_LZ4_COMPRESSION);
        ncaps = 1;
    } else if (type == SPICE_CHANNEL_INPUTS) {
        h.linked = on_inputs_linked;
        h.message = on_inputs_message;
    } else if (type == SPICE_CHANNEL_CURSOR) {
        sc->cursor = cursor_state_new();
        h.message = on_cursor_message;
    }
    ClientTarget target = session_target(s, type);
    sc->channel = client_channel_new(&target, s->password, s->session_id, type, id,
                                     &caps, ncaps, s->link_timeout_s, &h, sc);
    g_ptr_array_add(s->channels, sc);
}

/* ---- main channel ---- */

static void on_main_linked(ClientChannel *ch, void *user)
{
}

static void on_main_message(ClientChannel *ch, uint16_t type, const uint8_t *body, size_t size,
                            void *user)
{
    SessionChannel *sc = user;
    SpiceClientSession *s = sc->session;
    MainMessage msg;
    const char *problem = NULL;
    MainParseResult parsed = main_parse(type, body, size, &msg, &problem);
    if (parsed == MAIN_PARSE_IGNORED) {
        return;   /* migration, agent data: not used yet */
    }
    if (parsed == MAIN_PARSE_MALFORMED) {
        if (type == SPICE_MSG_MAIN_INIT && s->session_id == 0) {
            session_fail(s, SPICE_CLIENT_ERROR_PROTOCOL, "main channel: malformed MAIN_INIT");
        } else {
            g_warning("main channel: dropped a message of %zu bytes: %s", size, problem);
        }
        return;
    }
    switch (type) {
    case SPICE_MSG_MAIN_INIT:
        if (s->session_id != 0) {
            g_warning("main channel: ignored a second MAIN_INIT");
            return;
        }
        s->session_id = msg.u.init.session_id;
        set_mm_time(s, msg.u.init.multi_media_time);
        client_channel_send(ch, SPICE_MSGC_MAIN_ATTACH_CHANNELS, NULL, 0);
        set_state(s, SPICE_CLIENT_STATE_CONNECTED);
        if (s->state == SPICE_CLIENT_STATE_CONNECTED) {
            apply_mouse_modes(s, ch, msg.u.init.supported_mouse_modes,
                              msg.u.init.current_mouse_mode);
        }
        return;
    case SPICE_MSG_MAIN_MOUSE_MODE:
        apply_mouse_modes(s, ch, msg.u.mouse_mode.supported, msg.u.mouse_mode.current);
        return;
    case SPICE_MSG_MAIN_MULTI_MEDIA_TIME:
        set_mm_time(s, msg.u.multi_media_time);
        return;
    case SPICE_MSG_MAIN_CHANNELS_LIST:
        for (uint32_t i = 0; i < msg.u.channels.count; i++) {
            uint8_t t = msg.u.channels.pairs[2 * i];
            uint8_t id = msg.u.channels.pairs[2 * i + 1];
            if (t == SPICE_CHANNEL_DISPLAY || t == SPICE_CHANNEL_CURSOR || t == SPICE_CHANNEL_INPUTS) {
                open_channel(s, t, id);
            }
        }
        return;
    case SPICE_MSG_MAIN_NAME:
        g_free(s->vm_name);
        s->vm_name = g_strndup(msg.u.name.name, msg.u.name.length);
        return;
    default:
        return;   /* uuid, agent tokens: parsed (so checked), not used yet */
    }
}

/* ---- public API ---- */

SpiceClientSession *spice_client_session_new(const char *host, uint16_t port, const char *password)
{
    SpiceClientSession *s = g_new0(SpiceClientSession, 1);
    s->host = g_strdup(host);
    s->port = port;
    s->password = g_strdup(password ? password : "");
    s->link_timeout_s = 10;
    s->channels = g_ptr_array_new_with_free_func(session_channel_free);
    s->caches = image_caches_new();
    s->mouse_mode = SPICE_CLIENT_MOUSE_MODE_SERVER;
    s->wanted_mouse_mode = SPICE_CLIENT_MOUSE_MODE_CLIENT;
    return s;
}

void spice_client_session_free(SpiceClientSession *session)
{
    if (session == NULL) {
        return;
    }
    if (session->main) {
        session_channel_free(session->main);
    }
    if (session->wait_poll) {
        g_source_remove(session->wait_poll);
    }
    g_ptr_array_unref(session->channels);
    image_caches_free(session->caches);
    if (session->setup_failure_source) {
        g_source_remove(session->setup_failure_source);
    }
    g_free(session->setup_failure);
    client_tls_context_free(session->tls);   /* after the channels that borrow it */
    g_free(session->unix_path);
    g_free(session->ca_file);
    g_free(session->ca_pem);
    g_free(session->host_subject);
    g_free(session->host);
    memset(session->password, 0, strlen(session->password));
    g_free(session->password);
    g_free(session->error_message);
    g_free(session->vm_name);
    g_free(session);
}

void spice_client_session_set_callbacks(SpiceClientSession *session,
                                        const SpiceClientCallbacks *callbacks, void *user)
{
    session->callbacks = *callbacks;
    session->user = user;
}

void spice_client_session_set_preferred_compression(SpiceClientSession *session, uint8_t compression)
{
    session->preferred_compression = compression;
}

void spice_client_session_set_link_timeout(SpiceClientSession *session, unsigned seconds)
{
    session->link_timeout_s = seconds;
}

/* ---- connection settings (clconnect) ---- */

SpiceClientSession *spice_client_session_new_unix(const char *path, const char *password)
{
    SpiceClientSession *s = spice_client_session_new("localhost", 0, password);
    s->unix_path = g_strdup(path);
    return s;
}

void spice_client_session_set_tls_port(SpiceClientSession *session, uint16_t tls_port)
{
    session->tls_port = tls_port;
}

void spice_client_session_set_ca_file(SpiceClientSession *session, const char *path)
{
    g_free(session->ca_file);
    session->ca_file = g_strdup(path);
}

void spice_client_session_set_ca_pem(SpiceClientSession *session, const char *pem)
{
    g_free(session->ca_pem);
    session->ca_pem = g_strdup(pem);
}

void spice_client_session_set_host_subject(SpiceClientSession *session, const char *subject)
{
    g_free(session->host_subject);
    session->host_subject = g_strdup(subject);
}

void spice_client_session_set_secure_channels(SpiceClientSession *session, uint32_t channel_mask)
{
    session->secure_channels = channel_mask;
}

static gboolean report_setup_failure(gpointer data)
{
    SpiceClientSession *s = data;
    s->setup_failure_source = 0;
    session_fail(s, SPICE_CLIENT_ERROR_TLS, s->setup_failure);
    return G_SOURCE_REMOVE;
}

bool spice_client_session_connect(SpiceClientSession *session)
{
    if (session->state != SPICE_CLIENT_STATE_NEW) {
        return false;
    }
    if (session->tls_port != 0 && session->unix_path == NULL) {
        ClientTlsOptions o = { .ca_file = session->ca_file, .ca_pem = session->ca_pem,
                               .host_subject = session->host_subject };
        char *error = NULL;
        session->tls = client_tls_context_new(&o, &error);
        if (session->tls == NULL) {
            /* Reported from the main loop: the caller's loop may not run yet. */
            session->setup_failure = g_strdup_printf("TLS setup: %s", error);
            g_free(error);
            session->setup_failure_source = g_idle_add(report_setup_failure, session);
            set_state(session, SPICE_CLIENT_STATE_CONNECTING);
            return true;
        }
    }
    SessionChannel *sc = g_new0(SessionChannel, 1);
    sc->session = session;
    ClientChannelHandlers h = { .linked = on_main_linked, .message = on_main_message,
                                .failed = on_failed, .hold = on_hold };
    ClientTarget target = session_target(session, SPICE_CHANNEL_MAIN);
    uint32_t main_caps = 0;
    link_caps_set(&main_caps, SPICE_MAIN_CAP_NAME_AND_UUID);   /* the server then sends MAIN_NAME */
    sc->channel = client_channel_new(&target, session->password, 0,
                                     SPICE_CHANNEL_MAIN, 0, &main_caps, 1, session->link_timeout_s, &h, sc);
    session->main = sc;
    set_state(session, SPICE_CLIENT_STATE_CONNECTING);
    return true;
}

void spice_client_session_disconnect(SpiceClientSession *session)
{
    if (session->main) {
        session_channel_free(session->main);
        session->main = NULL;
        session->main_for_inputs = NULL;
    }
    g_ptr_array_set_size(session->channels, 0);
    if (session->state != SPICE_CLIENT_STATE_FAILED) {
        set_state(session, SPICE_CLIENT_STATE_CLOSED);
    }
}

SpiceClientState spice_client_session_get_state(const SpiceClientSession *session)
{
    return session->state;
}

SpiceClientError spice_client_session_get_error(const SpiceClientSession *session)
{
    return session->error;
}

const char *spice_client_session_get_error_message(const SpiceClientSession *session)
{
    return session->error_message;
}

uint32_t spice_client_session_get_id(const SpiceClientSession *session)
{
    return session->session_id;
}

const char *spice_client_session_get_name(const SpiceClientSession *session)
{
    return session->vm_name;
}

pixman_image_t *spice_client_session_get_primary(SpiceClientSession *session, unsigned display_id)
{
    SessionChannel *sc = find_display(session, display_id);
    return sc ? display_state_primary(sc->display) : NULL;
}

bool spice_client_session_display_marked(const SpiceClientSession *session, unsigned display_id)
{
    SessionChannel *sc = find_display(session, display_id);
    return sc && display_state_marked(sc->display);
}

const char *spice_client_session_display_problem(const SpiceClientSession *session,
                                                 unsigned display_id)
{
    SessionChannel *sc = find_display(session, display_id);
    return sc ? display_state_problem(sc->display) : NULL;
}

/* ---- inputs and cursor API (client/inputs.c, client/cursor.c do the work) ---- */

bool spice_client_session_key_press(SpiceClientSession *s, uint32_t scancode)
{
    return s->inputs != NULL && inputs_state_key(s->inputs->inputs, scancode, true);
}

bool spice_client_session_key_release(SpiceClientSession *s, uint32_t scancode)
{
    return s->inputs != NULL && inputs_state_key(s->inputs->inputs, scancode, false);
}

void spice_client_session_release_all_keys(SpiceClientSession *s)
{
    if (s->inputs != NULL) {
        inputs_state_release_all(s->inputs->inputs);
    }
}

bool spice_client_session_set_lock_modifiers(SpiceClientSession *s, uint32_t modifiers)
{
    if (s->inputs == NULL) {
        return false;
    }
    inputs_state_send_modifiers(s->inputs->inputs, (uint16_t)modifiers);
    return true;
}

uint32_t spice_client_session_get_lock_modifiers(const SpiceClientSession *s)
{
    return s->inputs != NULL ? inputs_state_guest_modifiers(s->inputs->inputs) : 0;
}

SpiceClientMouseMode spice_client_session_get_mouse_mode(const SpiceClientSession *s)
{
    return s->mouse_mode;
}

void spice_client_session_request_mouse_mode(SpiceClientSession *s, SpiceClientMouseMode mode)
{
    s->wanted_mouse_mode = mode;
    if (s->main_for_inputs != NULL && s->state == SPICE_CLIENT_STATE_CONNECTED
        && (s->supported_mouse_modes & (uint32_t)mode) && s->mouse_mode != mode) {
        uint8_t req[2] = { (uint8_t)mode, 0 };
        client_channel_send(s->main_for_inputs, SPICE_MSGC_MAIN_MOUSE_MODE_REQUEST, req, sizeof(req));
    }
}

bool spice_client_session_inputs_ready(const SpiceClientSession *s)
{
    return s->inputs != NULL;
}

bool spice_client_session_mouse_position(SpiceClientSession *s, unsigned display_id, int x, int y,
                                         uint32_t buttons_mask)
{
    if (s->inputs == NULL || s->mouse_mode != SPICE_CLIENT_MOUSE_MODE_CLIENT || display_id > 255) {
        return false;
    }
    inputs_state_position(s->inputs->inputs, display_id, x, y, buttons_mask);
    return true;
}

bool spice_client_session_mouse_motion(SpiceClientSession *s, int dx, int dy, uint32_t buttons_mask)
{
    if (s->inputs == NULL || s->mouse_mode != SPICE_CLIENT_MOUSE_MODE_SERVER) {
        return false;
    }
    inputs_state_motion(s->inputs->inputs, dx, dy, buttons_mask);
    return true;
}

bool spice_client_session_mouse_button(SpiceClientSession *s, int button, bool pressed,
                                       uint32_t buttons_mask)
{
    return s->inputs != NULL && inputs_state_button(s->inputs->inputs, button, pressed, buttons_mask);
}

bool spice_client_session_get_cursor(SpiceClientSession *s, SpiceClientCursor *out)
{
    for (guint i = 0; i < s->channels->len; i++) {
        SessionChannel *sc = g_ptr_array_index(s->channels, i);
        if (sc->cursor != NULL && cursor_state_get(sc->cursor, out)) {
            return true;
        }
    }
    memset(out, 0, sizeof(*out));
    return false;
}
