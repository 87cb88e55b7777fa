/* parse-guest: copy guest structs and QXLDataChunk chains out of guest memory, once, bounds-checked. */
#include "qxl/parse-guest.h"

#include <string.h>

#include <glib.h>

QxlStatus qxl_guest_read(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr, uint64_t size,
                         void *dst, const void **host_out)
{
    const void *host;
    QxlStatus st = qxl_memslots_translate(m, group_id, addr, size, &host);
    if (host_out) {
        *host_out = host;
    }
    if (st != QXL_STATUS_OK) {
        return st;
    }
    memcpy(dst, host, size);
    return QXL_STATUS_OK;
}

QxlRect qxl_rect_from_guest(const QXLRect *r)
{
    return (QxlRect) { .top = r->top, .left = r->left, .bottom = r->bottom, .right = r->right };
}

/*
 * Remembers the host address of every chunk header seen, so a chain that comes back to one of
 * them stops with CHUNK_LOOP. Host addresses (not QXLPHYSICAL) are the identity: two guest
 * addresses that alias the same memory are the same chunk. The set is only built for chains of
 * more than one link, the common bitmap has exactly one.
 */
static bool chunk_seen_before(GHashTable **seen, const void *first_header, const void *header)
{
    if (!*seen) {
        *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
        g_hash_table_add(*seen, (gpointer)first_header);
    }
    if (g_hash_table_contains(*seen, header)) {
        return true;
    }
    g_hash_table_add(*seen, (gpointer)header);
    return false;
}

QxlStatus qxl_guest_gather_chunks(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL first_addr,
                                  uint64_t first_offset, uint64_t expected,
                                  const QxlParseLimits *limits, uint8_t *dest)
{
    GHashTable *seen = NULL;
    const void *first_header = NULL;
    QXLPHYSICAL addr = first_addr;
    uint64_t offset = first_offset;
    uint64_t total = 0;
    uint32_t links = 0;
    QxlStatus st;

    if (first_offset > UINT64_MAX - sizeof(QXLDataChunk)) {
        return QXL_STATUS_OVERFLOW;
    }
    for (;;) {
        const uint8_t *host;
        QXLDataChunk header;
        st = qxl_memslots_translate(m, group_id, addr, offset + sizeof(QXLDataChunk),
                                    (const void **)&host);
        if (st != QXL_STATUS_OK) {
            goto out;
        }
        const uint8_t *header_host = host + offset;
        if (links == 0) {
            first_header = header_host;
        } else if (chunk_seen_before(&seen, first_header, header_host)) {
            st = QXL_STATUS_CHUNK_LOOP;
            goto out;
        }
        memcpy(&header, header_host, sizeof(header));
        links++;

        /* Compare before adding: total <= expected always holds here. */
        if (header.data_size > expected - total) {
            st = QXL_STATUS_DATA_SIZE_MISMATCH;
            goto out;
        }
        if (header.data_size > 0) {
            /* offset + 20 + data_size cannot wrap: offset is tiny and data_size a u32. */
            st = qxl_memslots_translate(m, group_id, addr,
                                        offset + sizeof(QXLDataChunk) + header.data_size,
                                        (const void **)&host);
            if (st != QXL_STATUS_OK) {
                goto out;
            }
            memcpy(dest + total, host + offset + sizeof(QXLDataChunk), header.data_size);
            total += header.data_size;
        }

        if (header.next_chunk == 0) {
            break;
        }
        if (links >= limits->max_chunks) {
            st = QXL_STATUS_TOO_MANY_CHUNKS;
            goto out;
        }
        addr = header.next_chunk;
        offset = 0;
    }
    st = total == expected ? QXL_STATUS_OK : QXL_STATUS_DATA_SIZE_MISMATCH;
out:
    if (seen) {
        g_hash_table_destroy(seen);
    }
    return st;
}
