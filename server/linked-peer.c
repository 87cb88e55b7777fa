/* linked-peer: capability lookup and release of a client socket that passed the link stage. */
#include "linked-peer.h"

#include <unistd.h>
#include <glib.h>

bool linked_peer_caps_have(const uint32_t *caps, uint32_t num_words, uint32_t cap)
{
    uint32_t word = cap / 32;
    if (!caps || word >= num_words) {
        return false;
    }
    return (caps[word] >> (cap % 32)) & 1;
}

void linked_peer_free(LinkedPeer *peer)
{
    if (!peer) {
        return;
    }
    if (peer->stream) {
        red_stream_free(peer->stream);     /* closes the socket */
    } else if (peer->fd >= 0) {
        close(peer->fd);
    }
    g_free(peer->common_caps);
    g_free(peer->channel_caps);
    g_free(peer->event_info);
    g_free(peer);
}
