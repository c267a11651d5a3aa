// The band layout of the Winograd kernels with 4×4 output tiles, F(4×4,
// 3×3) (winograd_f43.c) and F(4×4, 2×2) (winograd_f42.c). Internal to the
// micro-kernels.
//
// Tiles come in "quads": 4 consecutive tiles of one tile row, 16 output
// columns. Four quads make a "block", the 16 GEMM columns a tier transforms
// at once. The quads of a band are numbered row by row, quad q being block
// q / 4's quad q % 4; within a block the tier chooses the order of its 16
// columns (the order its in-register transposes give) and its output step
// reads them back in the same order. The GEMMs compute every column alike,
// so the order does not change any result.
//
// The input step first copies each channel's band rows, zero-padded, to its
// own slice of scratch (concurrent channel ranges never share one), so that
// no quad needs an edge case: staging the edge quads one by one instead
// cost F(4×4, 3×3) 10% of the step in memcpy/memset calls at 256×256 and
// most of it at widths 32–64, where every quad is an edge.
#ifndef MD_WINOGRAD_QUADS_H
#define MD_WINOGRAD_QUADS_H

#include "winograd_common.h"

#include <string.h>

// Quads (16 tile columns each) of one tile row of a w-wide grid of tiles.
static inline int quads_per_row(int w) { return (w + 15) / 16; }

// GEMM columns of a band of `tile_rows` tile rows: whole blocks of 16.
static inline long quad_band_tiles(int w, int tile_rows) {
    long quads = (long)tile_rows * quads_per_row(w);
    return (quads + 3) / 4 * 16;
}

// The zero-padded copy of a band's input rows: per channel, the
// 4·tile_rows + 2 input rows from one above the band, each from one column
// left of the image on, 16 per quad + 4: the loads of a row's last quad
// reach 2 columns past it (F(4×4, 3×3)) or 3 (F(4×4, 2×2)'s odd phases),
// and the rest keeps rows off a 4 KiB stride.
static inline long quad_padded_width(int w) { return 16L * quads_per_row(w) + 4; }
static inline long quad_padded_floats(int w, int tile_rows) { return (4L * tile_rows + 2) * quad_padded_width(w); }

// Where quad `quad` of a band lies: its first tile-grid row and column, or
// y = −1 past the band's last quad.
static inline void quad_origin(const winograd_band *b, int w, long quad, int *y, int *x) {
    int per_row = quads_per_row(w);
    long quads = (long)(b->tile_row_end - b->tile_row_begin) * per_row;
    if (quad >= quads) {
        *y = -1, *x = 0;
        return;
    }
    *y = 4 * (b->tile_row_begin + (int)(quad / per_row));
    *x = 16 * (int)(quad % per_row);
}

// A row of zeros that quads past the band read (with a row stride of 0).
static const float quad_zeros[20];

// Copies channel plane `source` (h×w) rows 4·tile_row_begin − 1 … of the
// band to `copy` (quad_padded_floats), zeros outside the image.
static inline void quad_copy_rows(const winograd_band *b, const float *source, int h, int w, float *copy) {
    int rows = 4 * (b->tile_row_end - b->tile_row_begin) + 2;
    long width = quad_padded_width(w);
    for (int r = 0; r < rows; r++) {
        int y = 4 * b->tile_row_begin - 1 + r;
        float *row = copy + r * width;
        if (y < 0 || y >= h) {
            memset(row, 0, width * sizeof(float));
            continue;
        }
        row[0] = 0.0f;
        memcpy(row + 1, source + (long)y * w, w * sizeof(float));
        memset(row + 1 + w, 0, (width - 1 - w) * sizeof(float));
    }
}

// Transforms one input channel's block: quad i's input starts at in[i]
// with rows in_stride[i] floats apart (zeros for pixels outside the image
// are already in place), and V[ξ] of its points ξ is written to the
// block's 16 columns at v + ξ·xi_stride.
typedef void (*winograd_quad_input_block)(const float *const in[4], const long in_stride[4], float *v,
                                          long xi_stride);

// Runs `block` over every block of the band: quads from `origin` (a
// channel's padded copy, or a point inside it), V's columns from `v` (the
// channel's row of the first matrix).
static inline void quad_input_blocks(const winograd_band *b, int w, const float *origin, float *v,
                                     winograd_quad_input_block block) {
    int per_row = quads_per_row(w);
    long width = quad_padded_width(w), quads = (long)(b->tile_row_end - b->tile_row_begin) * per_row, q = 0;
    int tile_row = 0, column = 0;   // of quad q
    for (long t = 0; t < b->tiles; t += 16) {
        const float *in[4];
        long stride[4];
        for (int i = 0; i < 4; i++, q++) {
            if (q >= quads) {
                in[i] = quad_zeros, stride[i] = 0;
                continue;
            }
            in[i] = origin + 4L * tile_row * width + 16 * column, stride[i] = width;
            if (++column == per_row) column = 0, tile_row++;
        }
        // Column t of V[ξ] (k × tiles), packed in strips of 32.
        block(in, stride, v + (t / 32) * 32 * b->k + t % 32, b->v_stride);
    }
}

// Transforms one output channel's block back: M[ξ] at m + ξ·xi_stride (16
// columns each), Y = Aᵀ M A + bias, the activation (MD_ACTIVATION_NONE,
// _RELU or _LEAKY_RELU with `slope`), then quad i's 4×16 output pixels to
// out[i], rows out_stride[i] floats apart.
typedef void (*winograd_quad_output_block)(const float *m, long xi_stride, float *const out[4],
                                           const long out_stride[4], float bias, int activation, float slope);

// Copies `rows` rows of `columns` floats from a staged edge quad (rows
// `staged_stride` apart) to `target` (rows `target_stride` apart): the part
// of the quad that lies inside the image.
static inline void quad_store_staged(const float *staged, long staged_stride, float *target, long target_stride,
                                     int rows, int columns) {
    for (int r = 0; r < rows; r++) memcpy(target + r * target_stride, staged + r * staged_stride, columns * sizeof(float));
}

// The output step of a layer whose output is out_h×out_w and whose tile
// grid is the output's, output channels [begin, end): quads whose 4×16
// output lies inside the image are written in place, the others through a
// copy of which only the inside is stored.
static inline void quad_output_blocks(const md_winograd_layer *layer, const winograd_band *b, int out_h, int out_w,
                                      int begin, int end, winograd_quad_output_block block) {
    int h = out_h, w = out_w;
    long plane = (long)h * w;
    float staged[4][4 * 16];
    for (long t = 0; t < b->tiles; t += 16) {
        int top[4], left[4], inside[4];
        for (int i = 0; i < 4; i++) {
            quad_origin(b, w, t / 4 + i, &top[i], &left[i]);
            inside[i] = top[i] >= 0 && top[i] + 4 <= h && left[i] + 16 <= w;
        }
        for (int o = begin; o < end; o++) {
            float *target = layer->output + o * plane;
            float *out[4];
            long stride[4];
            for (int i = 0; i < 4; i++) {
                int direct = inside[i];
                out[i] = direct ? target + (long)top[i] * w + left[i] : staged[i];
                stride[i] = direct ? w : 16;
            }
            block(b->m + o * b->tiles + t, b->m_stride, out, stride, layer->bias ? layer->bias[o] : 0.0f,
                  layer->activation, layer->slope);
            for (int i = 0; i < 4; i++) {
                if (inside[i] || top[i] < 0) continue;
                int rows = h - top[i] < 4 ? h - top[i] : 4, columns = w - left[i] < 16 ? w - left[i] : 16;
                quad_store_staged(staged[i], 16, target + (long)top[i] * w + left[i], w, rows, columns);
            }
        }
    }
}

#endif
