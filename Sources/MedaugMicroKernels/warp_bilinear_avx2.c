// The bilinear warp, AVX2 tier: warp_bilinear.c's AVX-512 kernel on 8 lanes,
// the same arithmetic to the bit (Float positions, floor, fractions, lerp
// with a separate multiply and add).
#include "md_microkernels.h"
#include "warp_bilinear.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

// a + (b − a)·t, a where t == 0.
static inline TARGET __m256 lerp8(__m256 a, __m256 b, __m256 t) {
    __m256 v = _mm256_add_ps(a, _mm256_mul_ps(_mm256_sub_ps(b, a), t));
    return _mm256_blendv_ps(v, a, _mm256_cmp_ps(t, _mm256_setzero_ps(), _CMP_EQ_OQ));
}

// lo <= v < hi, lane by lane, as an all-ones/zero mask.
static inline TARGET __m256i in_range(__m256i v, __m256i lo, __m256i hi) {
    return _mm256_and_si256(_mm256_cmpgt_epi32(v, _mm256_sub_epi32(lo, _mm256_set1_epi32(1))),
                            _mm256_cmpgt_epi32(hi, v));
}

static inline TARGET __m256 gather(const float *p, __m256i index, __m256i mask, __m256 fill) {
    return _mm256_mask_i32gather_ps(fill, p, index, _mm256_castsi256_ps(mask), 4);
}

// 8 lanes at p where `mask` is set; `all`: every lane is, and plain loads
// and stores serve. AMD's masked stores are microcoded (many cycles each;
// see sgemm_blocks_avx2.c), so only a row's last partial vector and pixels
// with outside taps take the masked ones. The same values either way.
static inline TARGET __m256 load8(const float *p, __m256i mask, int all) {
    return all ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask);
}

static inline TARGET void store8(float *p, __m256i mask, int all, __m256 v) {
    if (all) {
        _mm256_storeu_ps(p, v);
    } else {
        _mm256_maskstore_ps(p, mask, v);
    }
}

static inline TARGET void store_labels8(int *p, __m256i mask, int all, __m256i v) {
    if (all) {
        _mm256_storeu_si256((__m256i *)p, v);
    } else {
        _mm256_maskstore_epi32(p, mask, v);
    }
}

// 8 pixels from x (lanes x + i < count), flags into bits `shift`..`shift`+7
// of *flag (left alone when `constant`).
static TARGET void warp8(const float *src, int channels, int h, int w, const int *src_mask, const float *rows,
                         const float *cols, int count, int x, float *dst, int *dst_mask, long plane,
                         unsigned short *flag, int shift, int constant, float border_value, int mask_fill) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi32(1);
    const __m256i hh = _mm256_set1_epi32(h), ww = _mm256_set1_epi32(w);
    const __m256 half = _mm256_set1_ps(0.5f);
    __m256i valid = _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_add_epi32(_mm256_set1_epi32(x), lane));
    int whole = x + 8 <= count;
    __m256 r = load8(rows + x, valid, whole), c = load8(cols + x, valid, whole);
    __m256 rf = _mm256_round_ps(r, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    __m256 cf = _mm256_round_ps(c, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    __m256i y0 = _mm256_cvttps_epi32(rf), x0 = _mm256_cvttps_epi32(cf);
    __m256 fy = _mm256_sub_ps(r, rf), fx = _mm256_sub_ps(c, cf);
    __m256i y1 = _mm256_add_epi32(y0, one), x1 = _mm256_add_epi32(x0, one);
    __m256i i00 = _mm256_add_epi32(_mm256_mullo_epi32(y0, ww), x0), i10 = _mm256_add_epi32(i00, ww);
    __m256i i01 = _mm256_add_epi32(i00, one), i11 = _mm256_add_epi32(i10, one);
    // Nearest neighbour for the mask: halves rounded up.
    __m256i my = _mm256_sub_epi32(y0, _mm256_castps_si256(_mm256_cmp_ps(fy, half, _CMP_GE_OQ)));
    __m256i mx = _mm256_sub_epi32(x0, _mm256_castps_si256(_mm256_cmp_ps(fx, half, _CMP_GE_OQ)));
    __m256i nearest = _mm256_add_epi32(_mm256_mullo_epi32(my, ww), mx);
    if (constant) {
        // Taps outside read `border_value`, a nearest label outside reads
        // `mask_fill`; every pixel is done.
        __m256i ry0 = in_range(y0, zero, hh), ry1 = in_range(y1, zero, hh);
        __m256i rx0 = in_range(x0, zero, ww), rx1 = in_range(x1, zero, ww);
        __m256i m00 = _mm256_and_si256(valid, _mm256_and_si256(ry0, rx0));
        __m256i m01 = _mm256_and_si256(valid, _mm256_and_si256(ry0, rx1));
        __m256i m10 = _mm256_and_si256(valid, _mm256_and_si256(ry1, rx0));
        __m256i m11 = _mm256_and_si256(valid, _mm256_and_si256(ry1, rx1));
        __m256 fill = _mm256_set1_ps(border_value);
        for (int ch = 0; ch < channels; ch++) {
            const float *p = src + (long)ch * plane;
            __m256 top = lerp8(gather(p, i00, m00, fill), gather(p, i01, m01, fill), fx);
            __m256 bottom = lerp8(gather(p, i10, m10, fill), gather(p, i11, m11, fill), fx);
            store8(dst + (long)ch * plane + x, valid, whole, lerp8(top, bottom, fy));
        }
        __m256i mine = _mm256_and_si256(valid, _mm256_and_si256(in_range(my, zero, hh), in_range(mx, zero, ww)));
        __m256i label = _mm256_mask_i32gather_epi32(_mm256_set1_epi32(mask_fill), src_mask, nearest, mine, 4);
        store_labels8(dst_mask + x, valid, whole, label);
        return;
    }
    // All four taps inside: 0 <= y0 < h−1 and 0 <= x0 < w−1 (positions too
    // large for int32 convert to INT_MIN and fail the test).
    __m256i inside = _mm256_and_si256(valid, _mm256_and_si256(in_range(y0, zero, _mm256_sub_epi32(hh, one)),
                                                              in_range(x0, zero, _mm256_sub_epi32(ww, one))));
    int inside_bits = _mm256_movemask_ps(_mm256_castsi256_ps(inside));
    int valid_bits = _mm256_movemask_ps(_mm256_castsi256_ps(valid));
    *flag = (unsigned short)((*flag & ~(0xFF << shift)) | ((valid_bits & ~inside_bits) << shift));
    if (!inside_bits) return;
    __m256 none = _mm256_setzero_ps();
    for (int ch = 0; ch < channels; ch++) {
        const float *p = src + (long)ch * plane;
        __m256 top = lerp8(gather(p, i00, inside, none), gather(p, i01, inside, none), fx);
        __m256 bottom = lerp8(gather(p, i10, inside, none), gather(p, i11, inside, none), fx);
        store8(dst + (long)ch * plane + x, inside, inside_bits == 0xFF, lerp8(top, bottom, fy));
    }
    __m256i label = _mm256_mask_i32gather_epi32(zero, src_mask, nearest, inside, 4);
    store_labels8(dst_mask + x, inside, inside_bits == 0xFF, label);
}

void md_warp_bilinear_avx2(const float *src, int channels, int h, int w, const int *src_mask, const float *rows,
                           const float *cols, int count, float *dst, int *dst_mask, long plane,
                           unsigned short *outside, int constant, float border_value, int mask_fill) {
    for (int x = 0; x < count; x += 8) {
        if (constant && x % 16 == 0) outside[x / 16] = 0;
        warp8(src, channels, h, w, src_mask, rows, cols, count, x, dst, dst_mask, plane, &outside[x / 16], x % 16,
              constant, border_value, mask_fill);
    }
}
#endif
