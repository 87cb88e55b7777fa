/* reds-listen: the plain and TLS listening sockets (TCP v4/v6 or unix) and accepting clients into the link stage. */
#include "reds-private.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void set_nonblocking_cloexec(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Each link in progress costs an RSA key: a flood of silent sockets must not pile them up. */
#define REDS_MAX_PENDING_LINKS 64

static void accept_clients(SpiceServer *reds, int fd, bool tls)
{
    static bool warned_full;
    /* Accept a bounded batch so a connection flood cannot starve the host's loop. */
    for (int i = 0; i < 16; i++) {
        int client = accept(fd, NULL, NULL);
        if (client < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                g_message("spice: accept failed (%s)", g_strerror(errno));
            }
            return;
        }
        if (g_list_length(reds->links) >= REDS_MAX_PENDING_LINKS) {
            if (!warned_full) {
                g_message("spice: %d connections are already in the link stage; refusing new ones "
                          "until they finish or time out", REDS_MAX_PENDING_LINKS);
                warned_full = true;
            }
            close(client);
            continue;
        }
        warned_full = false;
        if (!tls) {
            reds_link_start(reds, client, false);
        } else if (!reds_link_start_tls(reds, client, false)) {
            close(client);      /* logged by the TLS stream */
        }
    }
}

static void listen_readable(int fd, int events, void *opaque)
{
    accept_clients(opaque, fd, false);
}

static void tls_listen_readable(int fd, int events, void *opaque)
{
    accept_clients(opaque, fd, true);
}

static int listen_unix(SpiceServer *reds)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    if (strlen(reds->config.addr) >= sizeof(sun.sun_path) || reds->config.addr[0] == '\0') {
        g_warning("spice: unix socket path '%s' is empty or too long", reds->config.addr);
        return -1;
    }
    strcpy(sun.sun_path, reds->config.addr);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) {
        g_warning("spice: cannot create a unix socket (%s)", g_strerror(errno));
        return -1;
    }
    unlink(sun.sun_path);
    if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, SOMAXCONN) < 0) {
        g_warning("spice: cannot listen on unix socket %s (%s)", sun.sun_path, g_strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int listen_tcp(SpiceServer *reds, int port_number)
{
    struct addrinfo hints = {
        .ai_flags = AI_PASSIVE | AI_ADDRCONFIG,
        .ai_socktype = SOCK_STREAM,
        .ai_family = AF_UNSPEC,
    };
    if (reds->config.addr_flags & SPICE_ADDR_FLAG_IPV4_ONLY) {
        hints.ai_family = AF_INET;
    } else if (reds->config.addr_flags & SPICE_ADDR_FLAG_IPV6_ONLY) {
        hints.ai_family = AF_INET6;
    }
    char port[16];
    snprintf(port, sizeof(port), "%d", port_number);
    const char *addr = reds->config.addr[0] ? reds->config.addr : NULL;

    struct addrinfo *res = NULL;
    int rc = getaddrinfo(addr, port, &hints, &res);
    if (rc != 0) {
        g_warning("spice: cannot resolve listen address '%s' port %s (%s)",
                  addr ? addr : "(any)", port, gai_strerror(rc));
        return -1;
    }
    /* As upstream: bind the first address that works; a v6 wildcard also takes v4 unless v6-only. */
    int fd = -1;
    int last_errno = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        int on = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
        if (ai->ai_family == AF_INET6) {
            int v6only = (reds->config.addr_flags & SPICE_ADDR_FLAG_IPV6_ONLY) ? 1 : 0;
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
        }
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0) {
            break;
        }
        last_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        g_warning("spice: cannot listen on %s port %s (%s); pick a free port or address",
                  addr ? addr : "(any)", port, g_strerror(last_errno));
    }
    return fd;
}

static int reds_tls_listen_start(SpiceServer *reds);

int reds_listen_start(SpiceServer *reds)
{
    int fd;
    if (reds->config.host_listen_fd >= 0) {
        fd = reds->config.host_listen_fd;
        if (listen(fd, SOMAXCONN) < 0) {
            g_warning("spice: the host's listen socket %d cannot listen (%s)", fd, g_strerror(errno));
            return -1;
        }
    } else if (reds->config.addr_flags & SPICE_ADDR_FLAG_UNIX_ONLY) {
        fd = listen_unix(reds);
    } else if (reds->config.port > 0) {
        fd = listen_tcp(reds, reds->config.port);
    } else {
        fd = -2;    /* no plain port: clients come through the TLS port or spice_server_add_client */
    }
    if (fd == -1 || reds_tls_listen_start(reds) < 0) {
        if (fd >= 0 && fd != reds->config.host_listen_fd) {
            close(fd);
        }
        return -1;
    }
    if (fd == -2) {
        return 0;
    }
    set_nonblocking_cloexec(fd);
    reds->listen_fd = fd;
    reds->listen_watch = event_loop_watch_add(reds->loop, fd, EVENT_LOOP_READ, listen_readable, reds);
    if (!reds->listen_watch) {
        reds_listen_stop(reds);
        return -1;
    }
    return 0;
}

/* The TLS port (tls-helper): its SSL context is made here, so bad certificates fail init. */
static int reds_tls_listen_start(SpiceServer *reds)
{
    if (reds->config.tls.port <= 0) {
        return 0;
    }
    if (reds->config.addr_flags & SPICE_ADDR_FLAG_UNIX_ONLY) {
        g_warning("spice: a TLS port cannot be served on a unix socket address; drop tls-port");
        return -1;
    }
    reds->tls_ctx = reds_tls_context_new(&reds->config.tls);
    if (!reds->tls_ctx) {
        return -1;
    }
    int fd = listen_tcp(reds, reds->config.tls.port);
    if (fd < 0) {
        return -1;
    }
    set_nonblocking_cloexec(fd);
    reds->tls_listen_fd = fd;
    reds->tls_listen_watch = event_loop_watch_add(reds->loop, fd, EVENT_LOOP_READ,
                                                  tls_listen_readable, reds);
    return reds->tls_listen_watch ? 0 : -1;
}

void reds_listen_stop(SpiceServer *reds)
{
    event_loop_watch_remove(reds->tls_listen_watch);
    reds->tls_listen_watch = NULL;
    if (reds->tls_listen_fd >= 0) {
        close(reds->tls_listen_fd);
    }
    reds->tls_listen_fd = -1;
    reds_tls_context_free(reds->tls_ctx);
    reds->tls_ctx = NULL;

    event_loop_watch_remove(reds->listen_watch);
    reds->listen_watch = NULL;
    if (reds->listen_fd >= 0 && reds->listen_fd != reds->config.host_listen_fd) {
        close(reds->listen_fd);
    }
    reds->listen_fd = -1;
}
