/* reds-config: the spice_server_set_* / get_* settings the host stores (values and refusals as upstream). */
#include "reds-private.h"

#include <limits.h>
#include <string.h>

#include "spice-export.h"

SPICE_EXPORT int spice_server_set_compat_version(SpiceServer *s, spice_compat_version_t version)
{
    /* 0.4 compatibility is gone upstream too; nothing newer than ours exists. */
    if (version < SPICE_COMPAT_VERSION_0_6 || version > SPICE_COMPAT_VERSION_CURRENT) {
        return -1;
    }
    return 0;
}

SPICE_EXPORT int spice_server_set_port(SpiceServer *s, int port)
{
    if (port < 0 || port > 0xffff) {
        g_warning("spice_server_set_port: %d is not a TCP port (0..65535)", port);
        return -1;
    }
    s->config.port = port;
    return 0;
}

SPICE_EXPORT void spice_server_set_addr(SpiceServer *s, const char *addr, int flags)
{
    g_strlcpy(s->config.addr, addr ? addr : "", sizeof(s->config.addr));
    if (flags != 0 && flags != SPICE_ADDR_FLAG_IPV4_ONLY && flags != SPICE_ADDR_FLAG_IPV6_ONLY &&
        flags != SPICE_ADDR_FLAG_UNIX_ONLY) {
        g_warning("spice_server_set_addr: unknown address flags 0x%x; listening on any family", flags);
        flags = 0;
    }
    s->config.addr_flags = flags;
}

SPICE_EXPORT int spice_server_set_listen_socket_fd(SpiceServer *s, int listen_fd)
{
    s->config.host_listen_fd = listen_fd;
    return 0;
}

SPICE_EXPORT int spice_server_set_exit_on_disconnect(SpiceServer *s, int flag)
{
    s->config.exit_on_disconnect = flag != 0;
    return 0;
}

SPICE_EXPORT int spice_server_set_noauth(SpiceServer *s)
{
    memset(s->config.password, 0, sizeof(s->config.password));
    s->config.ticketing_enabled = false;
    return 0;
}

SPICE_EXPORT int spice_server_set_ticket(SpiceServer *s, const char *passwd, int lifetime,
                                         int fail_if_connected, int disconnect_if_connected)
{
    if (reds_session_has_client(s)) {
        if (fail_if_connected) {
            return -1;
        }
        if (disconnect_if_connected) {
            reds_session_disconnect(s);
        }
    }
    /* As upstream: a client that came in without a password must not stay once one is required. */
    if (!s->config.ticketing_enabled && reds_session_has_client(s)) {
        g_message("spice: ticketing turned on while a client was connected without a password; "
                  "disconnecting it");
        reds_session_disconnect(s);
    }
    s->config.ticketing_enabled = true;
    if (lifetime == 0) {
        s->config.ticket_expiry_s = INT64_MAX;
    } else {
        s->config.ticket_expiry_s = g_get_monotonic_time() / G_USEC_PER_SEC + lifetime;
    }
    if (passwd) {
        if (strlen(passwd) > SPICE_MAX_PASSWORD_LENGTH) {
            g_warning("spice_server_set_ticket: the password is longer than %d characters; refused",
                      SPICE_MAX_PASSWORD_LENGTH);
            return -1;
        }
        g_strlcpy(s->config.password, passwd, sizeof(s->config.password));
    } else {
        /* As upstream: no password means nobody gets in until a new ticket is set. */
        memset(s->config.password, 0, sizeof(s->config.password));
        s->config.ticket_expiry_s = 0;
    }
    return 0;
}

SPICE_EXPORT int spice_server_set_sasl_appname(SpiceServer *s, const char *appname)
{
    g_free(s->config.sasl_appname);
    s->config.sasl_appname = g_strdup(appname);
    return 0;
}

SPICE_EXPORT void spice_server_set_name(SpiceServer *s, const char *name)
{
    g_free(s->config.name);
    s->config.name = g_strdup(name);
}

SPICE_EXPORT void spice_server_set_uuid(SpiceServer *s, const uint8_t uuid[16])
{
    memcpy(s->config.uuid, uuid, sizeof(s->config.uuid));
    s->config.uuid_set = true;
}

SPICE_EXPORT int spice_server_set_image_compression(SpiceServer *s, SpiceImageCompression comp)
{
    if (comp <= SPICE_IMAGE_COMPRESSION_INVALID || comp > SPICE_IMAGE_COMPRESSION_LZ4) {
        g_warning("spice_server_set_image_compression: unknown compression %d; refused", comp);
        return -1;
    }
    g_atomic_int_set(&s->config.image_compression, comp);
    return 0;
}

SPICE_EXPORT SpiceImageCompression spice_server_get_image_compression(SpiceServer *s)
{
    return reds_get_image_compression(s);
}

static bool wan_compression_valid(spice_wan_compression_t comp)
{
    return comp == SPICE_WAN_COMPRESSION_AUTO || comp == SPICE_WAN_COMPRESSION_ALWAYS ||
           comp == SPICE_WAN_COMPRESSION_NEVER;
}

SPICE_EXPORT int spice_server_set_jpeg_compression(SpiceServer *s, spice_wan_compression_t comp)
{
    if (!wan_compression_valid(comp)) {
        g_warning("spice_server_set_jpeg_compression: invalid value %d; refused", comp);
        return -1;
    }
    g_atomic_int_set(&s->config.jpeg_state, comp);
    return 0;
}

SPICE_EXPORT int spice_server_set_zlib_glz_compression(SpiceServer *s, spice_wan_compression_t comp)
{
    if (!wan_compression_valid(comp)) {
        g_warning("spice_server_set_zlib_glz_compression: invalid value %d; refused", comp);
        return -1;
    }
    g_atomic_int_set(&s->config.zlib_glz_state, comp);
    return 0;
}

SPICE_EXPORT int spice_server_set_streaming_video(SpiceServer *s, int value)
{
    if (value != SPICE_STREAM_VIDEO_OFF && value != SPICE_STREAM_VIDEO_ALL &&
        value != SPICE_STREAM_VIDEO_FILTER) {
        return -1;
    }
    g_atomic_int_set(&s->config.streaming_video, value);
    return 0;
}

/*
 * Video codec lists are "encoder:codec;..." as upstream spells them. Upstream knows the
 * encoders "spice" and "gstreamer" and the codecs mjpeg, vp8, h264, vp9 and h265; this
 * server encodes video streams only with its own MJPEG encoder, so "spice:mjpeg" is the one
 * entry it can keep. Known entries it cannot serve are dropped with a warning that says so,
 * exactly as upstream drops a GStreamer codec when it was built without GStreamer.
 */
static const char supported_video_codec[] = "spice:mjpeg";

static bool video_codec_entry_is_known(const char *entry)
{
    static const char *const encoders[] = { "spice", "gstreamer" };
    static const char *const names[] = { "mjpeg", "vp8", "h264", "vp9", "h265" };
    char **parts = g_strsplit(entry, ":", 2);
    bool known = false;
    if (parts[0] && parts[1]) {
        for (size_t i = 0; i < G_N_ELEMENTS(encoders) && !known; i++) {
            for (size_t j = 0; j < G_N_ELEMENTS(names) && !known; j++) {
                known = strcmp(parts[0], encoders[i]) == 0 && strcmp(parts[1], names[j]) == 0;
            }
        }
    }
    g_strfreev(parts);
    return known;
}

/* The entries of @codecs this server can encode, joined with ';' (newly allocated; "" if none). */
static char *usable_video_codecs(const char *codecs)
{
    bool have_mjpeg = false;
    char **entries = g_strsplit(codecs, ";", -1);
    for (char **e = entries; *e; e++) {
        if (**e == '\0') {
            continue;
        }
        if (strcmp(*e, supported_video_codec) == 0) {
            have_mjpeg = true;
        } else if (video_codec_entry_is_known(*e)) {
            g_warning("spice_server_set_video_codecs: '%s' is not available here (this server "
                      "encodes video streams as %s only); entry ignored",
                      *e, supported_video_codec);
        } else {
            g_warning("spice_server_set_video_codecs: unknown entry '%s' ignored (expected "
                      "ENCODER:CODEC, e.g. %s)", *e, supported_video_codec);
        }
    }
    g_strfreev(entries);
    return g_strdup(have_mjpeg ? supported_video_codec : "");
}

SPICE_EXPORT int spice_server_set_video_codecs(SpiceServer *s, const char *video_codecs)
{
    if (!video_codecs) {
        return -1;
    }
    const char *codecs = strcmp(video_codecs, "auto") == 0 ? supported_video_codec : video_codecs;
    char *usable = usable_video_codecs(codecs);
    if (*usable == '\0') {
        g_warning("spice_server_set_video_codecs: no usable codec in '%s'; keeping '%s'",
                  video_codecs, s->config.video_codecs);
        g_free(usable);
        return -1;
    }
    g_free(s->config.video_codecs);
    s->config.video_codecs = usable;
    return 0;
}

/* The codecs in use, in set_video_codecs' syntax; release with spice_server_free_video_codecs. */
SPICE_EXPORT const char *spice_server_get_video_codecs(SpiceServer *s)
{
    return g_strdup(s->config.video_codecs);
}

SPICE_EXPORT void spice_server_free_video_codecs(SpiceServer *s, const char *video_codecs)
{
    (void)s;
    g_free((char *)video_codecs);
}

SPICE_EXPORT int spice_server_set_playback_compression(SpiceServer *s, int enable)
{
    s->config.playback_compression = enable != 0;
    return 0;
}

SPICE_EXPORT int spice_server_set_agent_mouse(SpiceServer *s, int enable)
{
    s->config.agent_mouse = enable != 0;
    if (s->initialized) {
        reds_update_mouse_mode(s);
    }
    return 0;
}

SPICE_EXPORT int spice_server_set_agent_copypaste(SpiceServer *s, int enable)
{
    s->config.agent_copypaste = enable != 0;
    return 0;
}

SPICE_EXPORT int spice_server_set_agent_file_xfer(SpiceServer *s, int enable)
{
    s->config.agent_file_xfer = enable != 0;
    return 0;
}

SPICE_EXPORT void spice_server_set_seamless_migration(SpiceServer *s, int enable)
{
    s->config.seamless_migration = enable != 0;
}

static int channel_type_from_name(const char *name)
{
    static const struct {
        const char *name;
        int type;
    } names[] = {
        { "main", SPICE_CHANNEL_MAIN },       { "display", SPICE_CHANNEL_DISPLAY },
        { "inputs", SPICE_CHANNEL_INPUTS },   { "cursor", SPICE_CHANNEL_CURSOR },
        { "playback", SPICE_CHANNEL_PLAYBACK }, { "record", SPICE_CHANNEL_RECORD },
        { "tunnel", SPICE_CHANNEL_TUNNEL },   { "smartcard", SPICE_CHANNEL_SMARTCARD },
        { "usbredir", SPICE_CHANNEL_USBREDIR }, { "port", SPICE_CHANNEL_PORT },
        { "webdav", SPICE_CHANNEL_WEBDAV },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (strcmp(name, names[i].name) == 0) {
            return names[i].type;
        }
    }
    return -1;
}

SPICE_EXPORT int spice_server_set_channel_security(SpiceServer *s, const char *channel, int security)
{
    if (!channel) {
        s->config.default_security = security;
        return 0;
    }
    int type = channel_type_from_name(channel);
    if (type < 0) {
        g_warning("spice_server_set_channel_security: unknown channel name '%s'", channel);
        return -1;
    }
    s->config.channel_security[type] = security;
    return 0;
}

/* Obsolete upstream too: they always fail there. */
SPICE_EXPORT int spice_server_get_sock_info(SpiceServer *s, struct sockaddr *sa, socklen_t *salen)
{
    return -1;
}

SPICE_EXPORT int spice_server_get_peer_info(SpiceServer *s, struct sockaddr *sa, socklen_t *salen)
{
    return -1;
}

SPICE_EXPORT int spice_server_is_server_mouse(SpiceServer *s)
{
    return reds_get_mouse_mode(s) == SPICE_MOUSE_MODE_SERVER;
}

SPICE_EXPORT int spice_server_get_num_clients(SpiceServer *s)
{
    return reds_session_has_client(s) ? 1 : 0;
}

/* ---- getters for the display pipeline (any thread) ---- */

SpiceImageCompression reds_get_image_compression(SpiceServer *reds)
{
    return (SpiceImageCompression)g_atomic_int_get(&reds->config.image_compression);
}

spice_wan_compression_t reds_get_jpeg_state(SpiceServer *reds)
{
    return (spice_wan_compression_t)g_atomic_int_get(&reds->config.jpeg_state);
}

spice_wan_compression_t reds_get_zlib_glz_state(SpiceServer *reds)
{
    return (spice_wan_compression_t)g_atomic_int_get(&reds->config.zlib_glz_state);
}

bool reds_is_link_slow(SpiceServer *reds)
{
    return g_atomic_int_get(&reds->link_slow) != 0;
}

int reds_get_streaming_video(SpiceServer *reds)
{
    return g_atomic_int_get(&reds->config.streaming_video);
}
