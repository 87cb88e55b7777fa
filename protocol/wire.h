/* wire: bounds-checked little-endian reader and growable writer for SPICE wire bytes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * WireReader: a cursor over bytes the caller owns (the reader never copies or frees them).
 *
 * Failure is sticky: a read that does not fit in what remains returns 0 (or NULL / false),
 * consumes nothing, and marks the reader failed; every later read also fails. So a parser can
 * read all fields of a struct and check wire_reader_ok() once at the end.
 *
 * The struct is visible only so that a reader can live on the stack; use the functions.
 */
typedef struct WireReader {
    const uint8_t *data;
    size_t size;
    size_t offset;
    bool failed;
} WireReader;

/* @data may be NULL only when @size is 0. The bytes must outlive the reader. */
void wire_reader_init(WireReader *r, const uint8_t *data, size_t size);

uint8_t wire_read_u8(WireReader *r);
uint16_t wire_read_u16(WireReader *r);
uint32_t wire_read_u32(WireReader *r);
uint64_t wire_read_u64(WireReader *r);
int16_t wire_read_i16(WireReader *r);
int32_t wire_read_i32(WireReader *r);
/* Big-endian (LZ/GLZ and LZ4 image headers are big-endian on the wire). */
uint16_t wire_read_u16_be(WireReader *r);
uint32_t wire_read_u32_be(WireReader *r);

/* Copies @n bytes into @out; on failure @out is zero-filled (when @out is not NULL). */
bool wire_read_bytes(WireReader *r, void *out, size_t n);
/* Returns a pointer to the next @n bytes inside the reader's data (not a copy) and skips them,
 * or NULL on failure. For n == 0 it returns a non-NULL pointer (the current position) if the
 * reader has not failed. */
const uint8_t *wire_read_span(WireReader *r, size_t n);
/* Skips @n bytes; false (and failed) if they are not there. */
bool wire_reader_skip(WireReader *r, size_t n);
/* Moves to absolute @offset (0 .. size inclusive); false (and failed) if out of range. */
bool wire_reader_seek(WireReader *r, size_t offset);

size_t wire_reader_remaining(const WireReader *r);
size_t wire_reader_offset(const WireReader *r);
/* False once any read, skip or seek has failed. */
bool wire_reader_ok(const WireReader *r);

/*
 * WireWriter: a growable little-endian byte buffer. The writer owns its buffer (g_malloc'd,
 * GLib's abort-on-OOM policy; a size that would overflow size_t also aborts with a message,
 * since it can only be a bug). init/finish pair: finish frees the buffer. A zero-initialised
 * struct is NOT valid: call wire_writer_init.
 *
 * The struct is visible only so that a writer can live on the stack; use the functions.
 */
typedef struct WireWriter {
    uint8_t *data;
    size_t size;
    size_t capacity;
} WireWriter;

void wire_writer_init(WireWriter *w);
/* Frees the buffer; the writer may be init'ed again. Accepts a stolen-from writer. */
void wire_writer_finish(WireWriter *w);
/* Drops the content, keeps the allocation for reuse. */
void wire_writer_reset(WireWriter *w);

void wire_write_u8(WireWriter *w, uint8_t v);
void wire_write_u16(WireWriter *w, uint16_t v);
void wire_write_u32(WireWriter *w, uint32_t v);
void wire_write_u64(WireWriter *w, uint64_t v);
void wire_write_i16(WireWriter *w, int16_t v);
void wire_write_i32(WireWriter *w, int32_t v);
void wire_write_u32_be(WireWriter *w, uint32_t v);
/* @data may be NULL only when @n is 0. */
void wire_write_bytes(WireWriter *w, const void *data, size_t n);
void wire_write_zeros(WireWriter *w, size_t n);
/* Appends @n bytes and returns a pointer to them for the caller to fill in; valid only until
 * the next write to @w. */
uint8_t *wire_writer_reserve(WireWriter *w, size_t n);

size_t wire_writer_size(const WireWriter *w);
/* The bytes written so far (owned by the writer; valid until the next write, reset or finish).
 * Never NULL, even when the size is 0, so it can go straight to memcpy or write. */
const uint8_t *wire_writer_data(const WireWriter *w);

/*
 * Overwrites 4 bytes at @offset with @v (little-endian): for pointer/size fields whose value is
 * known only after later data is written. Returns false (and writes nothing) if
 * offset + 4 > size.
 */
bool wire_writer_patch_u32(WireWriter *w, size_t offset, uint32_t v);
bool wire_writer_patch_u16(WireWriter *w, size_t offset, uint16_t v);

/*
 * Hands the buffer to the caller (free with g_free) and leaves the writer empty and reusable.
 * Never returns NULL (an empty writer gives a 1-byte allocation) so callers can free uniformly.
 */
uint8_t *wire_writer_steal(WireWriter *w, size_t *size);
