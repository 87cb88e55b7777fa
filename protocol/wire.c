/* wire: bounds-checked little-endian reader and growable writer for SPICE wire bytes. */
#include "protocol/wire.h"

#include <string.h>

#include <glib.h>

void wire_reader_init(WireReader *r, const uint8_t *data, size_t size)
{
    /* Never keep NULL: spans of 0 bytes are then still non-NULL, and no NULL + 0 arithmetic. */
    static const uint8_t empty;
    r->data = data ? data : &empty;
    r->size = data ? size : 0;
    r->offset = 0;
    r->failed = false;
}

/* Returns the next @n bytes and advances, or NULL (and marks the reader failed). */
static const uint8_t *reader_take(WireReader *r, size_t n)
{
    if (r->failed || n > r->size - r->offset) {
        r->failed = true;
        return NULL;
    }
    const uint8_t *p = r->data + r->offset;
    r->offset += n;
    return p;
}

static uint32_t get_u32_le(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

uint8_t wire_read_u8(WireReader *r)
{
    const uint8_t *p = reader_take(r, 1);
    return p ? p[0] : 0;
}

uint16_t wire_read_u16(WireReader *r)
{
    const uint8_t *p = reader_take(r, 2);
    return p ? (uint16_t)(p[0] | (p[1] << 8)) : 0;
}

uint32_t wire_read_u32(WireReader *r)
{
    const uint8_t *p = reader_take(r, 4);
    return p ? get_u32_le(p) : 0;
}

uint64_t wire_read_u64(WireReader *r)
{
    /* One take of 8 bytes: a short u64 must consume nothing, like every other read. */
    const uint8_t *p = reader_take(r, 8);
    return p ? (uint64_t)get_u32_le(p) | ((uint64_t)get_u32_le(p + 4) << 32) : 0;
}

int16_t wire_read_i16(WireReader *r)
{
    return (int16_t)wire_read_u16(r);
}

int32_t wire_read_i32(WireReader *r)
{
    return (int32_t)wire_read_u32(r);
}

uint16_t wire_read_u16_be(WireReader *r)
{
    const uint8_t *p = reader_take(r, 2);
    return p ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

uint32_t wire_read_u32_be(WireReader *r)
{
    const uint8_t *p = reader_take(r, 4);
    if (!p) {
        return 0;
    }
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

bool wire_read_bytes(WireReader *r, void *out, size_t n)
{
    const uint8_t *p = reader_take(r, n);
    if (!p) {
        if (out && n) {
            memset(out, 0, n);
        }
        return false;
    }
    if (n) {
        memcpy(out, p, n);
    }
    return true;
}

const uint8_t *wire_read_span(WireReader *r, size_t n)
{
    return reader_take(r, n);
}

bool wire_reader_skip(WireReader *r, size_t n)
{
    return reader_take(r, n) != NULL;
}

bool wire_reader_seek(WireReader *r, size_t offset)
{
    if (r->failed || offset > r->size) {
        r->failed = true;
        return false;
    }
    r->offset = offset;
    return true;
}

size_t wire_reader_remaining(const WireReader *r)
{
    return r->failed ? 0 : r->size - r->offset;
}

size_t wire_reader_offset(const WireReader *r)
{
    return r->offset;
}

bool wire_reader_ok(const WireReader *r)
{
    return !r->failed;
}

void wire_writer_init(WireWriter *w)
{
    w->data = NULL;
    w->size = 0;
    w->capacity = 0;
}

void wire_writer_finish(WireWriter *w)
{
    g_free(w->data);
    wire_writer_init(w);
}

void wire_writer_reset(WireWriter *w)
{
    w->size = 0;
}

uint8_t *wire_writer_reserve(WireWriter *w, size_t n)
{
    if (n > SIZE_MAX - w->size) {
        /* Only a bug can ask for this much: no wire message comes near SIZE_MAX. */
        g_error("wire_writer: size overflow (%zu + %zu bytes)", w->size, n);
    }
    size_t needed = w->size + n;
    if (needed > w->capacity) {
        size_t capacity = w->capacity ? w->capacity : 64;
        while (capacity < needed) {
            capacity = capacity > SIZE_MAX / 2 ? needed : capacity * 2;
        }
        w->data = g_realloc(w->data, capacity);
        w->capacity = capacity;
    }
    uint8_t *p = w->data + w->size;
    w->size = needed;
    return p;
}

void wire_write_u8(WireWriter *w, uint8_t v)
{
    *wire_writer_reserve(w, 1) = v;
}

static void put_u16_le(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32_le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void wire_write_u16(WireWriter *w, uint16_t v)
{
    put_u16_le(wire_writer_reserve(w, 2), v);
}

void wire_write_u32(WireWriter *w, uint32_t v)
{
    put_u32_le(wire_writer_reserve(w, 4), v);
}

void wire_write_u64(WireWriter *w, uint64_t v)
{
    uint8_t *p = wire_writer_reserve(w, 8);
    put_u32_le(p, (uint32_t)v);
    put_u32_le(p + 4, (uint32_t)(v >> 32));
}

void wire_write_i16(WireWriter *w, int16_t v)
{
    wire_write_u16(w, (uint16_t)v);
}

void wire_write_i32(WireWriter *w, int32_t v)
{
    wire_write_u32(w, (uint32_t)v);
}

void wire_write_u32_be(WireWriter *w, uint32_t v)
{
    uint8_t *p = wire_writer_reserve(w, 4);
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void wire_write_bytes(WireWriter *w, const void *data, size_t n)
{
    if (n == 0) {
        return;
    }
    memcpy(wire_writer_reserve(w, n), data, n);
}

void wire_write_zeros(WireWriter *w, size_t n)
{
    if (n == 0) {
        return;
    }
    memset(wire_writer_reserve(w, n), 0, n);
}

size_t wire_writer_size(const WireWriter *w)
{
    return w->size;
}

const uint8_t *wire_writer_data(const WireWriter *w)
{
    /* memcpy(dst, NULL, 0) is undefined behaviour (UBSan reports it): never hand out NULL. */
    static const uint8_t empty;
    return w->data ? w->data : &empty;
}

bool wire_writer_patch_u32(WireWriter *w, size_t offset, uint32_t v)
{
    if (offset > w->size || w->size - offset < 4) {
        return false;
    }
    put_u32_le(w->data + offset, v);
    return true;
}

bool wire_writer_patch_u16(WireWriter *w, size_t offset, uint16_t v)
{
    if (offset > w->size || w->size - offset < 2) {
        return false;
    }
    put_u16_le(w->data + offset, v);
    return true;
}

uint8_t *wire_writer_steal(WireWriter *w, size_t *size)
{
    uint8_t *data = w->data ? w->data : g_malloc(1);
    if (size) {
        *size = w->size;
    }
    wire_writer_init(w);
    return data;
}
