// What the Winograd kernels share (private to winograd_f23.c and
// winograd_f22.c): how tiles fill vectors, where a band's matrices lie, and
// the order of a band's steps.
//
// A vector holds 16 consecutive tiles of one tile row. A tile row of at most
// 8 tiles (an image at most 16 pixels wide) would leave half the lanes
// empty, so there a vector is "stacked": lanes 0–7 hold a tile row and lanes
// 8–15 the next one. Loads and stores of the second half then go to the next
// tile row's rows at the same columns, instead of 16 columns further.
#ifndef MD_WINOGRAD_COMMON_H
#define MD_WINOGRAD_COMMON_H

#include "md_microkernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define WINOGRAD_TARGET __attribute__((target("avx512f")))
#endif

typedef struct {
    int stacked;           // two tile rows per vector
    int rows_per_vector;   // 2 when stacked, else 1
    int vector_row_tiles;  // lanes of one vector row: 16 when stacked, else the row's tiles rounded up to 16
} winograd_lanes;

static inline winograd_lanes winograd_lanes_for(int tiles_per_row) {
    winograd_lanes l;
    l.stacked = tiles_per_row <= 8;
    l.rows_per_vector = l.stacked ? 2 : 1;
    l.vector_row_tiles = l.stacked ? 16 : (tiles_per_row + 15) / 16 * 16;
    return l;
}

// Tiles (GEMM columns) of a band of `tile_rows` tile rows.
static inline long winograd_band_tiles(winograd_lanes l, int tile_rows) {
    return (long)(tile_rows + l.rows_per_vector - 1) / l.rows_per_vector * l.vector_row_tiles;
}

// GEMM B matrices are packed in strips of 32 columns.
static inline long winograd_strip_columns(long tiles) { return (tiles + 31) / 32 * 32; }

// A band of tile rows: `groups` GEMMs M[g] (cout × tiles) = U[g] (cout × k)
// · V[g] (k × tiles, packed in strips of 32 columns), V first in scratch.
typedef struct {
    winograd_lanes lanes;
    int tile_row_begin, tile_row_end, vector_rows, groups, k;
    long tiles, v_stride, m_stride;
    float *v, *m;
} winograd_band;

// Floats between consecutive matrices of V or M: a matrix's floats plus 16
// (64 bytes). Without the pad a stride is often a multiple of 4 KiB (32
// channels × 128 tiles), and the transforms, which write or read one float
// group per matrix in turn, keep hitting one L1 set: F(2×2, 3×3)'s input
// step at 256×256, 32 channels, took 6.1 ms instead of 3.3 ms.
static inline long winograd_matrix_stride(long floats) { return floats + 16; }

// Floats of scratch of a band of `groups` GEMMs with `tiles` columns.
static inline long winograd_scratch_of(long tiles, int groups, int k, int cout) {
    return groups * (winograd_matrix_stride((long)k * winograd_strip_columns(tiles)) +
                     winograd_matrix_stride((long)cout * tiles));
}

// A band whose GEMMs have `tiles` columns (F(4×4, 3×3) lays its tiles out
// in groups of its own, winograd_f43.c; `lanes` and `vector_rows` are then
// unused).
static inline winograd_band winograd_band_with_tiles(long tiles, int tile_row_begin, int tile_row_end, int groups,
                                                     int k, int cout, float *scratch) {
    winograd_band b;
    b.lanes = winograd_lanes_for(16);
    b.vector_rows = 0;
    b.tile_row_begin = tile_row_begin;
    b.tile_row_end = tile_row_end;
    b.groups = groups;
    b.k = k;
    b.tiles = tiles;
    b.v_stride = winograd_matrix_stride((long)k * winograd_strip_columns(tiles));
    b.m_stride = winograd_matrix_stride((long)cout * tiles);
    b.v = scratch;
    b.m = scratch + groups * b.v_stride;
    return b;
}

static inline winograd_band winograd_band_of(int tiles_per_row, int tile_row_begin, int tile_row_end, int groups,
                                             int k, int cout, float *scratch) {
    winograd_lanes l = winograd_lanes_for(tiles_per_row);
    int tile_rows = tile_row_end - tile_row_begin;
    winograd_band b = winograd_band_with_tiles(winograd_band_tiles(l, tile_rows), tile_row_begin, tile_row_end,
                                               groups, k, cout, scratch);
    b.lanes = l;
    b.vector_rows = (tile_rows + l.rows_per_vector - 1) / l.rows_per_vector;
    return b;
}

// Floats of scratch of such a band.
static inline long winograd_band_scratch(int tiles_per_row, int tile_rows, int groups, int k, int cout) {
    return winograd_scratch_of(winograd_band_tiles(winograd_lanes_for(tiles_per_row), tile_rows), groups, k, cout);
}

// The GEMMs of output channels [begin, end).
static inline void winograd_multiply(const md_winograd_layer *layer, const winograd_band *b, int begin, int end) {
    for (int g = 0; g < b->groups; g++) {
        md_sgemm_packed_strips(end - begin, (int)b->tiles, b->k, layer->u + ((long)g * layer->cout + begin) * b->k,
                                   b->k, b->v + g * b->v_stride, b->m + g * b->m_stride + begin * b->tiles,
                                   (int)b->tiles);
    }
}

#if defined(__x86_64__)
// Lanes of the 16 floats starting at column `x` that lie inside [0, w).
static inline WINOGRAD_TARGET __mmask16 winograd_inside(int x, int w) {
    unsigned bits = 0;
    for (int lane = 0; lane < 16; lane++) {
        if (x + lane >= 0 && x + lane < w) bits |= 1u << lane;
    }
    return (__mmask16)bits;
}

// Within each 128-bit lane k: z[j] lane (4k + i) = x[i] lane (4k + j).
static inline WINOGRAD_TARGET void transpose_lanes(const __m512 x[4], __m512 z[4]) {
    __m512 t0 = _mm512_unpacklo_ps(x[0], x[1]), t1 = _mm512_unpackhi_ps(x[0], x[1]);
    __m512 t2 = _mm512_unpacklo_ps(x[2], x[3]), t3 = _mm512_unpackhi_ps(x[2], x[3]);
    z[0] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
    z[1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
    z[2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
    z[3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
}

// The store-time activation (MD_ACTIVATION_*).
static inline WINOGRAD_TARGET __m512 winograd_activate(__m512 x, int activation, __m512 slope) {
    if (activation == MD_ACTIVATION_RELU) return _mm512_max_ps(x, _mm512_setzero_ps());
    if (activation == MD_ACTIVATION_LEAKY_RELU) {
        __mmask16 positive = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
        return _mm512_mask_blend_ps(positive, _mm512_mul_ps(x, slope), x);
    }
    return x;
}

// Loading the columns 2t−1 … 2t+2 of 16 tiles t, for kernels whose tile
// rows lie 2 input rows apart (F(2×2, 3×3) and the transposed F(2×2, 2×2)):
// 32 floats from column 2t0−1 and 32 from 2t0+1, split into even and odd
// lanes, give the four columns without a gather. The second 16 floats of
// each load come from `half` floats further: 16 columns on, or (stacked) the
// next tile row, `half_rows` = 2 rows down at the same columns. `masks`
// select the columns inside the image.
typedef struct {
    __mmask16 masks[4];
    int half, half_rows;
} winograd_columns;

static inline WINOGRAD_TARGET winograd_columns winograd_columns_at(winograd_lanes l, int x, int w) {
    winograd_columns g;
    g.masks[0] = winograd_inside(x, w);
    g.masks[1] = winograd_inside(l.stacked ? x : x + 16, w);
    g.masks[2] = winograd_inside(x + 2, w);
    g.masks[3] = winograd_inside(l.stacked ? x + 2 : x + 18, w);
    g.half = l.stacked ? 2 * w : 16;
    g.half_rows = l.stacked ? 2 : 0;
    return g;
}

// The four column vectors c[0..3] of input row y from column x (zero where
// a half's row or column lies outside the image).
static inline WINOGRAD_TARGET void winograd_load_columns(const float *plane, int h, int w, int y, int x,
                                                         const winograd_columns *g, __m512 c[4]) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    int in_a = y >= 0 && y < h, in_b = y + g->half_rows >= 0 && y + g->half_rows < h;
    if (!in_a && !in_b) {
        for (int j = 0; j < 4; j++) c[j] = _mm512_setzero_ps();
        return;
    }
    // When only the second half's row is inside, point `row` so that
    // row + half is that row; the first half's loads are masked off.
    const float *row = plane + (long)(in_a ? y : y + g->half_rows) * w + x - (in_a ? 0 : g->half);
    __mmask16 ma = in_a ? 0xFFFF : 0, mb = in_b ? 0xFFFF : 0;
    __m512 a = _mm512_maskz_loadu_ps(g->masks[0] & ma, row);
    __m512 b = _mm512_maskz_loadu_ps(g->masks[1] & mb, row + g->half);
    __m512 d = _mm512_maskz_loadu_ps(g->masks[2] & ma, row + 2);
    __m512 e = _mm512_maskz_loadu_ps(g->masks[3] & mb, row + g->half + 2);
    c[0] = _mm512_permutex2var_ps(a, even, b);
    c[1] = _mm512_permutex2var_ps(a, odd, b);
    c[2] = _mm512_permutex2var_ps(d, even, e);
    c[3] = _mm512_permutex2var_ps(d, odd, e);
}

#endif

// Output rows to store (at most `limit`) for the two halves of the vector
// row whose first tile row is `ty`, with `per_tile_row` output rows per tile
// row. A stacked second tile row past the band belongs to the next band.
static inline void winograd_rows_to_store(winograd_lanes l, int ty, int tile_row_end, int per_tile_row, int out_h,
                                          int limit, int *rows_a, int *rows_b) {
    int y = per_tile_row * ty;
    *rows_a = out_h - y < limit ? out_h - y : limit;
    if (!l.stacked) {
        *rows_b = *rows_a;
    } else if (ty + 1 >= tile_row_end) {
        *rows_b = 0;
    } else {
        int left = out_h - y - per_tile_row;
        *rows_b = left < limit ? left : limit;
    }
}

#if defined(__x86_64__)
// Transforms one input channel's 16 tiles whose columns start at x, rows at
// top, into `slot` (V's column of the first tile; matrices v_stride apart).
typedef void (*winograd_tiles)(const float *plane, int h, int w, int top, int x, const winograd_columns *columns,
                               float *slot, long v_stride);

// The input step of the kernels with tile rows 2 input rows apart: every
// vector of 16 tiles of the band, input channels [begin, end).
static inline WINOGRAD_TARGET void winograd_transform_pairs(const md_winograd_layer *layer,
                                                            const winograd_band *b, int begin, int end,
                                                            winograd_tiles tiles) {
    int h = layer->h, w = layer->w;
    winograd_lanes l = b->lanes;
    long plane = (long)h * w;
    for (int tx = 0; tx < l.vector_row_tiles; tx += 16) {
        int x = 2 * tx - 1;
        winograd_columns columns = winograd_columns_at(l, x, w);
        for (int vr = 0; vr < b->vector_rows; vr++) {
            long t = (long)vr * l.vector_row_tiles + tx;
            // Column t of B = V[g] (k × tiles) packed in strips of 32.
            float *slot = b->v + (t / 32) * 32 * b->k + t % 32;
            int top = 2 * (b->tile_row_begin + vr * l.rows_per_vector) - 1;
            for (int i = begin; i < end; i++) {
                tiles(layer->input + i * plane, h, w, top, x, &columns, slot + 32 * i, b->v_stride);
            }
        }
    }
}

#endif

// The tile and tile-row offsets, within its vector, of the lanes from
// `lane` on: lanes 8–15 of a stacked vector are the next tile row's first 8.
static inline void winograd_lane_offsets(winograd_lanes l, int lane, int *tiles, int *tile_rows) {
    *tiles = l.stacked ? lane % 8 : lane;
    *tile_rows = l.stacked ? lane / 8 : 0;
}

// Transforms the input tiles of one channel for `lanes` consecutive lanes
// of a vector (a group: 8 on AVX2, 4 on NEON), whose tiles start at input
// column x and row top, into `slot` (V's column of the group's first tile);
// k_stride = floats between the strided convolution's parity classes.
typedef void (*winograd_group_tiles)(const float *plane, int h, int w, int top, int x, float *slot, long k_stride,
                                     long xi_stride);

// The input step of the tiers whose vectors are narrower than 16 lanes:
// every group of `lanes` lanes of every vector of the band, input channels
// [begin, end). A tile spans `step` input rows and columns (2, or 4 for the
// strided convolution) and starts one before them (padding 1).
static inline void winograd_input_groups(const md_winograd_layer *layer, const winograd_band *b, int begin, int end,
                                         int lanes, int step, long k_stride, winograd_group_tiles tiles) {
    int h = layer->h, w = layer->w;
    winograd_lanes l = b->lanes;
    long plane = (long)h * w;
    for (int tx = 0; tx < l.vector_row_tiles; tx += 16) {
        for (int vr = 0; vr < b->vector_rows; vr++) {
            long t = (long)vr * l.vector_row_tiles + tx;
            // Column t of V[g] (k × tiles), packed in strips of 32.
            float *slot = b->v + (t / 32) * 32 * b->k + t % 32;
            int ty = b->tile_row_begin + vr * l.rows_per_vector;
            for (int lane = 0; lane < 16; lane += lanes) {
                int dx, dy;
                winograd_lane_offsets(l, lane, &dx, &dy);
                for (int i = begin; i < end; i++) {
                    tiles(layer->input + i * plane, h, w, step * (ty + dy) - 1, step * (tx + dx) - 1,
                          slot + 32 * i + lane, k_stride, b->v_stride);
                }
            }
        }
    }
}

typedef void (*winograd_transform)(const md_winograd_layer *, const winograd_band *, int, int);

// Runs `step` (MD_WINOGRAD_*) of a band over channels [begin, end), or
// all three steps over every channel.
static inline void winograd_run(const md_winograd_layer *layer, const winograd_band *b, int step, int begin,
                                int end, winograd_transform input, winograd_transform output) {
    int all = step == MD_WINOGRAD_ALL;
    if (all || step == MD_WINOGRAD_INPUT) input(layer, b, all ? 0 : begin, all ? layer->cin : end);
    if (all || step == MD_WINOGRAD_MULTIPLY) winograd_multiply(layer, b, all ? 0 : begin, all ? layer->cout : end);
    if (all || step == MD_WINOGRAD_OUTPUT) output(layer, b, all ? 0 : begin, all ? layer->cout : end);
}

#endif
