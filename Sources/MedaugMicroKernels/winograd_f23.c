#include "medaug_microkernels.h"

#include <immintrin.h>

#define TARGET __attribute__((target("avx512f")))

// Tiles of a tile row, rounded up to 16 so every vector of 16 tiles lies in
// one tile row and in one half of a 32-column strip of the GEMM's B.
static int padded_tiles_per_row(int w) { return ((w + 1) / 2 + 15) / 16 * 16; }

// V[ξ] is cin × tiles packed in strips of 32 columns, so its size is rounded
// up to whole strips; M[ξ] is cout × tiles row-major.
static long strip_columns(long tiles) { return (tiles + 31) / 32 * 32; }

long medaug_winograd_f23_scratch(int cin, int cout, int w, int tile_rows) {
    long tiles = (long)tile_rows * padded_tiles_per_row(w);
    return 16 * ((long)cin * strip_columns(tiles) + (long)cout * tiles);
}

// Lanes of the 16 floats starting at column `x` that lie inside [0, w).
static TARGET __mmask16 inside(int x, int w) {
    unsigned bits = 0;
    for (int lane = 0; lane < 16; lane++) {
        if (x + lane >= 0 && x + lane < w) bits |= 1u << lane;
    }
    return (__mmask16)bits;
}

// V[ξ] for 16 tiles of one channel: the 4×4 input tiles d (zero outside the
// image) become Bᵀ d B, Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0],
// [0, 1, 0, −1]]. Tile t's columns are input columns 2t−1 … 2t+2: loading
// 32 floats from 2t−1 and from 2t+1 and splitting even and odd lanes gives
// the four columns of all 16 tiles without a gather.
static TARGET void input_tiles(const float *plane, int h, int w, int top, int x, const __mmask16 *masks,
                               float *v, long xi_stride) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    __m512 t[4][4];
    for (int r = 0; r < 4; r++) {
        int y = top + r;
        if (y < 0 || y >= h) {
            for (int j = 0; j < 4; j++) t[r][j] = _mm512_setzero_ps();
            continue;
        }
        const float *row = plane + (long)y * w + x;
        __m512 a = _mm512_maskz_loadu_ps(masks[0], row);
        __m512 b = _mm512_maskz_loadu_ps(masks[1], row + 16);
        __m512 c = _mm512_maskz_loadu_ps(masks[2], row + 2);
        __m512 d = _mm512_maskz_loadu_ps(masks[3], row + 18);
        __m512 c0 = _mm512_permutex2var_ps(a, even, b), c1 = _mm512_permutex2var_ps(a, odd, b);
        __m512 c2 = _mm512_permutex2var_ps(c, even, d), c3 = _mm512_permutex2var_ps(c, odd, d);
        t[r][0] = _mm512_sub_ps(c0, c2);
        t[r][1] = _mm512_add_ps(c1, c2);
        t[r][2] = _mm512_sub_ps(c2, c1);
        t[r][3] = _mm512_sub_ps(c1, c3);
    }
    for (int j = 0; j < 4; j++) {
        _mm512_storeu_ps(v + (0 * 4 + j) * xi_stride, _mm512_sub_ps(t[0][j], t[2][j]));
        _mm512_storeu_ps(v + (1 * 4 + j) * xi_stride, _mm512_add_ps(t[1][j], t[2][j]));
        _mm512_storeu_ps(v + (2 * 4 + j) * xi_stride, _mm512_sub_ps(t[2][j], t[1][j]));
        _mm512_storeu_ps(v + (3 * 4 + j) * xi_stride, _mm512_sub_ps(t[1][j], t[3][j]));
    }
}

static TARGET __m512 activate(__m512 x, int activation, __m512 slope) {
    if (activation == MEDAUG_ACTIVATION_RELU) return _mm512_max_ps(x, _mm512_setzero_ps());
    if (activation == MEDAUG_ACTIVATION_LEAKY_RELU) {
        __mmask16 positive = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
        return _mm512_mask_blend_ps(positive, _mm512_mul_ps(x, slope), x);
    }
    return x;
}

// Y = Aᵀ M A for 16 tiles of one output channel, Aᵀ = [[1, 1, 1, 0],
// [0, 1, −1, −1]], then bias and activation; the 2×2 tiles are interleaved
// back into two output rows of 32 columns (clipped by `store`).
static TARGET void output_tiles(const float *m, long xi_stride, float *row0, int has_row1, int w,
                                __mmask16 store0, __mmask16 store1, __m512 bias, int activation,
                                __m512 slope) {
    const __m512i low = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i high = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    __m512 a0[4], a1[4];
    for (int c = 0; c < 4; c++) {
        __m512 m0 = _mm512_loadu_ps(m + (0 * 4 + c) * xi_stride), m1 = _mm512_loadu_ps(m + (1 * 4 + c) * xi_stride);
        __m512 m2 = _mm512_loadu_ps(m + (2 * 4 + c) * xi_stride), m3 = _mm512_loadu_ps(m + (3 * 4 + c) * xi_stride);
        a0[c] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
        a1[c] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
    }
    for (int r = 0; r < 2; r++) {
        if (r == 1 && !has_row1) break;
        const __m512 *a = r == 0 ? a0 : a1;
        __m512 left = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a[0], a[1]), a[2]), bias);
        __m512 right = _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(a[1], a[2]), a[3]), bias);
        left = activate(left, activation, slope);
        right = activate(right, activation, slope);
        float *row = row0 + (long)r * w;
        _mm512_mask_storeu_ps(row, store0, _mm512_permutex2var_ps(left, low, right));
        _mm512_mask_storeu_ps(row + 16, store1, _mm512_permutex2var_ps(left, high, right));
    }
}

static TARGET void winograd_band(int cin, int h, int w, const float *input, int cout, const float *u,
                                 int tile_row_begin, int tile_rows, float *scratch, float *output,
                                 const float *bias, int activation, float slope_value) {
    int per_row = padded_tiles_per_row(w);
    long tiles = (long)tile_rows * per_row;
    long v_stride = (long)cin * strip_columns(tiles), m_stride = (long)cout * tiles;
    float *v = scratch, *m = scratch + 16 * v_stride;
    long plane = (long)h * w;
    for (int tx = 0; tx < per_row; tx += 16) {
        int x = 2 * tx - 1;
        __mmask16 masks[4] = {inside(x, w), inside(x + 16, w), inside(x + 2, w), inside(x + 18, w)};
        for (int ty = 0; ty < tile_rows; ty++) {
            long t = (long)ty * per_row + tx;
            // Column t of B = V[ξ] (cin × tiles) packed in strips of 32.
            float *slot = v + (t / 32) * 32 * cin + t % 32;
            int top = 2 * (tile_row_begin + ty) - 1;
            for (int i = 0; i < cin; i++) {
                input_tiles(input + i * plane, h, w, top, x, masks, slot + 32 * i, v_stride);
            }
        }
    }
    for (int xi = 0; xi < 16; xi++) {
        medaug_sgemm_packed_strips(cout, (int)tiles, cin, u + (long)xi * cout * cin, cin, v + xi * v_stride,
                                   m + xi * m_stride, (int)tiles);
    }
    __m512 slope = _mm512_set1_ps(slope_value);
    for (int tx = 0; tx < per_row; tx += 16) {
        int x = 2 * tx;
        __mmask16 store0 = inside(x, w), store1 = inside(x + 16, w);
        for (int ty = 0; ty < tile_rows; ty++) {
            int y = 2 * (tile_row_begin + ty);
            long t = (long)ty * per_row + tx;
            for (int o = 0; o < cout; o++) {
                __m512 b = _mm512_set1_ps(bias ? bias[o] : 0.0f);
                output_tiles(m + o * tiles + t, m_stride, output + o * plane + (long)y * w + x, y + 1 < h, w,
                             store0, store1, b, activation, slope);
            }
        }
    }
}

int medaug_winograd_f23(int cin, int h, int w, const float *input, int cout, const float *u,
                        int tile_row_begin, int tile_row_end, float *scratch, float *output,
                        const float *bias, int activation, float slope) {
    if (!medaug_microkernels_available()) return 0;
    if (cin <= 0 || cout <= 0 || tile_row_end <= tile_row_begin) return 1;
    winograd_band(cin, h, w, input, cout, u, tile_row_begin, tile_row_end - tile_row_begin, scratch, output,
                  bias, activation, slope);
    return 1;
}
