/* lz4-encode-pixels: the LZ4 block writer for 32-bit pixel rows (private to lz4-image-encode.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The writer's scratch state (a hash table of earlier pixels): owned by the caller of
 * lz4_pixel_table_new, released with lz4_pixel_table_free (NULL is fine). */
typedef struct Lz4PixelTable Lz4PixelTable;

Lz4PixelTable *lz4_pixel_table_new(void);
void lz4_pixel_table_free(Lz4PixelTable *table);

/*
 * Codes @total bytes of packed 32-bit pixel rows at @plain (borrowed; @row_bytes a multiple of
 * 4) as BE32-framed LZ4 blocks of @rows rows each (later blocks may copy from earlier ones, as
 * one LZ4 stream), written to @out[@pos..@capacity). Returns the end position, or 0 when the
 * output does not fit. Never writes past @out + @capacity; never reads outside @plain. Any LZ4
 * decoder reads the blocks; the output is never larger than LZ4_COMPRESSBOUND of each block.
 */
size_t lz4_encode_pixel_blocks(Lz4PixelTable *table, const uint8_t *plain, size_t total,
                               size_t row_bytes, uint32_t rows, uint8_t *out, size_t pos,
                               size_t capacity);

/*
 * True when our writer suits the @total bytes of packed 32-bit rows at @plain (borrowed): it
 * matches whole pixels, so it needs the 4th byte (X or alpha) to repeat with the other three.
 * False when, in a sample, that byte changes from one pixel to the next too often (garbage
 * in X, alpha ramps): liblz4's byte-granular matching then finds more (on the test pictures'
 * garbage-X text 6.0 bpp against our 7.7, their gradient 8.7 against 17.7).
 */
bool lz4_pixels_suit_writer(const uint8_t *plain, size_t total, size_t row_bytes);
