/* reds-private: the SpiceServer's state, shared by the reds core files only (reds*.c, main and inputs channels). */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#define SPICE_SERVER_INTERNAL 1
#include "spice.h"
#include <spice/protocol.h>
#include "event-loop.h"
#include "linked-peer.h"
#include "red-stream.h"
#include "reds.h"
#include "reds-tls.h"

typedef struct MainChannel MainChannel;
typedef struct InputsChannel InputsChannel;
typedef struct RedsLink RedsLink;
typedef struct QxlWorker QxlWorker;
typedef struct Agent Agent;

/* The SPICE_CHANNEL_* types fit in a u8; per-type settings are indexed by it. */
#define REDS_CHANNEL_TYPES 256
/* Upstream waits forever for a client that connects and sends nothing; we drop it after this. */
#define REDS_LINK_TIMEOUT_MS 30000

/* Everything spice_server_set_* stores (host thread; workers read through reds_get_* getters). */
typedef struct RedsConfig {
    int port;                           /* -1 or 0: no plain port */
    char addr[256];                     /* "" = any */
    int addr_flags;                     /* SPICE_ADDR_FLAG_* */
    int host_listen_fd;                 /* -1, or a listening socket the host made (not owned) */
    bool exit_on_disconnect;

    bool ticketing_enabled;
    char password[SPICE_MAX_PASSWORD_LENGTH + 1];
    int64_t ticket_expiry_s;            /* monotonic seconds; INT64_MAX: never */

    char *name;                         /* owned, NULL = unset */
    bool uuid_set;
    uint8_t uuid[16];

    int image_compression;              /* SpiceImageCompression, read atomically */
    int jpeg_state;                     /* spice_wan_compression_t */
    int zlib_glz_state;
    int streaming_video;
    char *video_codecs;                 /* owned, the accepted list as a string */
    bool playback_compression;
    bool agent_mouse;
    bool agent_copypaste;
    bool agent_file_xfer;
    bool seamless_migration;
    char *sasl_appname;                 /* owned */
    int default_security;               /* SPICE_CHANNEL_SECURITY_* */
    int channel_security[REDS_CHANNEL_TYPES];   /* -1: use default */
    RedsTlsConfig tls;                  /* spice_server_set_tls (added by tls-helper) */
} RedsConfig;

/* One channel a client may link to. */
typedef struct RedsChannelEntry {
    uint8_t type;
    uint8_t id;
    uint32_t *caps;                     /* owned */
    uint32_t num_caps;
    RedsChannelLinkFunc link;
    void *opaque;
    RedsChannelSessionEndFunc session_end;   /* may be NULL */
} RedsChannelEntry;

typedef struct RedsQxl {
    QXLInstance *instance;              /* the host's */
    QxlWorker *worker;                  /* owned; NULL if the worker could not start */
} RedsQxl;

/* A device instance we accept but do not serve yet (playback, record, char devices). */
typedef struct RedsStoredInstance {
    SpiceBaseInstance *instance;
} RedsStoredInstance;

struct RedsState {
    RedsConfig config;

    const SpiceCoreInterface *core;     /* the host's; NULL before init */
    EventLoop *loop;                    /* owned, over core */
    pthread_t host_thread;
    bool initialized;

    int listen_fd;                      /* owned unless it is config.host_listen_fd; -1 none */
    EventLoopWatch *listen_watch;
    GList *links;                       /* of RedsLink*, connections in the link stage */
    /* The TLS port (added by tls-helper): made at init when config.tls.port is set. */
    struct ssl_ctx_st *tls_ctx;         /* owned; NULL: no TLS */
    int tls_listen_fd;                  /* owned; -1 none */
    EventLoopWatch *tls_listen_watch;
    uint32_t link_timeout_ms;           /* a link stage lasting longer is dropped (tests shorten it) */

    GPtrArray *channels;                /* of RedsChannelEntry*, in registration order */

    /* reds_call_in_host_thread: calls queued by any thread, run by a watch on wake_pipe. */
    GMutex call_lock;
    GQueue calls;
    int wake_pipe[2];
    EventLoopWatch *wake_watch;

    int vm_running;                     /* bool, read atomically from workers */
    /* bool, atomic: the session's network test found the link slow (main-channel.c; srvcomp) */
    int link_slow;

    /* The client session (one client at a time, as upstream's default). */
    uint32_t session_id;                /* 0: no client */
    MainChannel *main_channel;          /* owned */
    InputsChannel *inputs_channel;      /* owned */

    /* Mouse mode (SPICE_MOUSE_MODE_*) and what allows client mode. */
    int mouse_mode;
    bool client_mouse_allowed;
    bool primary_allows_client_mouse;
    uint32_t primary_width;
    uint32_t primary_height;

    SpiceKbdInstance *keyboard;
    SpiceMouseInstance *mouse;
    SpiceTabletInstance *tablet;
    SpiceMigrateInstance *migration;
    GList *qxls;                        /* of RedsQxl* */
    GList *stored_instances;            /* of RedsStoredInstance* */
    GList *char_devices;                /* of SpiceCharDeviceInstance* (the host's; char-devices.h) */
    Agent *agent;                       /* the vdagent device's Agent (owned by its ->st), or NULL */
    GList *sound_channels;              /* of SoundChannel*, owned (sound.h: playback, record) */
};

/* reds.c */
RedsChannelEntry *reds_find_channel(SpiceServer *reds, uint8_t type, uint8_t id);
bool reds_in_host_thread(SpiceServer *reds);
/* Number of registered display channels (for the client mouse rule). */
unsigned reds_count_channels_of_type(SpiceServer *reds, uint8_t type);
/* Finds the server an instance was added to (remove_interface gets only the instance). */
SpiceServer *reds_find_server_of_instance(SpiceBaseInstance *sin);
void reds_register_server(SpiceServer *reds);
void reds_unregister_server(SpiceServer *reds);

/* reds-listen.c */
int reds_listen_start(SpiceServer *reds);
void reds_listen_stop(SpiceServer *reds);

/* reds-link.c: takes ownership of @fd (connected, any blocking mode). */
void reds_link_start(SpiceServer *reds, int fd, bool skip_auth);
/*
 * The same for a TLS client (added by tls-helper): the TLS handshake, then the link stage, on
 * @fd. Returns false, with @fd untouched and still the caller's, when TLS is not configured or
 * OpenSSL cannot make a session; takes ownership of @fd when it returns true.
 */
bool reds_link_start_tls(SpiceServer *reds, int fd, bool skip_auth);
void reds_link_free_all(SpiceServer *reds);

/* reds-session.c */
/* A main channel linked: ends any current session and starts a new one; returns its id. */
uint32_t reds_session_begin(SpiceServer *reds);
/* The main channel of session @session_id closed: tells every channel the session is over. */
void reds_session_end(SpiceServer *reds, uint32_t session_id);
/* Disconnects the current client, if any. */
void reds_session_disconnect(SpiceServer *reds);
bool reds_session_has_client(SpiceServer *reds);
/* Re-evaluates whether client mouse mode is allowed and tells the client about changes. */
void reds_update_mouse_mode(SpiceServer *reds);
/* A client asked for a mouse mode (SPICE_MOUSE_MODE_*). */
void reds_on_mouse_mode_request(SpiceServer *reds, uint32_t mode);
/* The QXL RAM size for MAIN_INIT's ram_hint (first QXL's get_init_info), 0 without QXL. */
uint32_t reds_qxl_ram_hint(SpiceServer *reds);
/* A tablet was added or removed. */
void reds_on_tablet_changed(SpiceServer *reds);
