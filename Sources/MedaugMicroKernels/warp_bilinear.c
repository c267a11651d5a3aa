// The bilinear warp of augmentation. Every tier computes each pixel as the
// scalar path of Resampler.swift does, to the bit: the same Float source
// position, floor, fractions, and lerp(a, b, t) = t == 0 ? a : a + (b − a)·t
// with a separate multiply and add (never fused), so `medaug expand --seed`
// writes the same files on any CPU.
#include "md_microkernels.h"
#include "warp_bilinear.h"

// No contraction of a multiply and an add into an FMA (clang; GCC builds
// use -ffp-contract=off, as scripts/test-arm64 does).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f")))

static inline TARGET __m512 lerp16(__m512 a, __m512 b, __m512 t) {
    __m512 v = _mm512_add_ps(a, _mm512_mul_ps(_mm512_sub_ps(b, a), t));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(t, _mm512_setzero_ps(), _CMP_EQ_OQ), v, a);
}

static TARGET void warp_avx512(const float *src, int channels, int h, int w, const int *src_mask,
                               const float *rows, const float *cols, int count, float *dst,
                               int *dst_mask, long plane, unsigned short *outside,
                               int constant, float border_value, int mask_fill) {
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i hm1 = _mm512_set1_epi32(h - 1), wm1 = _mm512_set1_epi32(w - 1);
    const __m512i width = _mm512_set1_epi32(w), one = _mm512_set1_epi32(1);
    const __m512 half = _mm512_set1_ps(0.5f);
    for (int x = 0; x < count; x += 16) {
        __mmask16 valid = _mm512_cmplt_epi32_mask(_mm512_add_epi32(_mm512_set1_epi32(x), lane),
                                                  _mm512_set1_epi32(count));
        __m512 r = _mm512_maskz_loadu_ps(valid, rows + x);
        __m512 c = _mm512_maskz_loadu_ps(valid, cols + x);
        __m512 rf = _mm512_roundscale_ps(r, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
        __m512 cf = _mm512_roundscale_ps(c, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
        __m512i y0 = _mm512_cvttps_epi32(rf), x0 = _mm512_cvttps_epi32(cf);
        __m512 fy = _mm512_sub_ps(r, rf), fx = _mm512_sub_ps(c, cf);
        // All four taps inside: 0 <= y0 < h-1 and 0 <= x0 < w-1 (NaN
        // coordinates convert to INT_MIN and fail the test).
        __mmask16 inside = valid & _mm512_cmpge_epi32_mask(y0, _mm512_setzero_si512()) &
                           _mm512_cmplt_epi32_mask(y0, hm1) &
                           _mm512_cmpge_epi32_mask(x0, _mm512_setzero_si512()) &
                           _mm512_cmplt_epi32_mask(x0, wm1);
        if (constant) {
            // Constant border: taps outside the image read `border_value`,
            // a nearest label outside reads `mask_fill`; every pixel is done.
            const __m512i zero = _mm512_setzero_si512();
            const __m512i hh = _mm512_set1_epi32(h), ww = _mm512_set1_epi32(w);
            __m512i y1 = _mm512_add_epi32(y0, one), x1 = _mm512_add_epi32(x0, one);
            __mmask16 ry0 = _mm512_cmpge_epi32_mask(y0, zero) & _mm512_cmplt_epi32_mask(y0, hh);
            __mmask16 ry1 = _mm512_cmpge_epi32_mask(y1, zero) & _mm512_cmplt_epi32_mask(y1, hh);
            __mmask16 rx0 = _mm512_cmpge_epi32_mask(x0, zero) & _mm512_cmplt_epi32_mask(x0, ww);
            __mmask16 rx1 = _mm512_cmpge_epi32_mask(x1, zero) & _mm512_cmplt_epi32_mask(x1, ww);
            __m512i i00 = _mm512_add_epi32(_mm512_mullo_epi32(y0, width), x0);
            __m512i i10 = _mm512_add_epi32(i00, width);
            __m512 fill = _mm512_set1_ps(border_value);
            for (int ch = 0; ch < channels; ch++) {
                const float *p = src + (long)ch * plane;
                __m512 p00 = _mm512_mask_i32gather_ps(fill, valid & ry0 & rx0, i00, p, 4);
                __m512 p01 = _mm512_mask_i32gather_ps(fill, valid & ry0 & rx1, _mm512_add_epi32(i00, one), p, 4);
                __m512 p10 = _mm512_mask_i32gather_ps(fill, valid & ry1 & rx0, i10, p, 4);
                __m512 p11 = _mm512_mask_i32gather_ps(fill, valid & ry1 & rx1, _mm512_add_epi32(i10, one), p, 4);
                __m512 top = lerp16(p00, p01, fx), bottom = lerp16(p10, p11, fx);
                _mm512_mask_storeu_ps(dst + (long)ch * plane + x, valid, lerp16(top, bottom, fy));
            }
            __m512i my = _mm512_mask_add_epi32(y0, _mm512_cmp_ps_mask(fy, half, _CMP_GE_OQ), y0, one);
            __m512i mx = _mm512_mask_add_epi32(x0, _mm512_cmp_ps_mask(fx, half, _CMP_GE_OQ), x0, one);
            __mmask16 mine = valid & _mm512_cmpge_epi32_mask(my, zero) & _mm512_cmplt_epi32_mask(my, hh) &
                             _mm512_cmpge_epi32_mask(mx, zero) & _mm512_cmplt_epi32_mask(mx, ww);
            __m512i label = _mm512_mask_i32gather_epi32(_mm512_set1_epi32(mask_fill), mine,
                                                        _mm512_add_epi32(_mm512_mullo_epi32(my, width), mx), src_mask, 4);
            _mm512_mask_storeu_epi32(dst_mask + x, valid, label);
            outside[x / 16] = 0;
            continue;
        }
        outside[x / 16] = (unsigned short)(valid & ~inside);
        if (!inside) continue;
        __m512i index = _mm512_add_epi32(_mm512_mullo_epi32(y0, width), x0);
        for (int ch = 0; ch < channels; ch++) {
            const float *p = src + (long)ch * plane;
            __m512 p00 = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), inside, index, p, 4);
            __m512 p01 = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), inside, _mm512_add_epi32(index, one), p, 4);
            __m512i below = _mm512_add_epi32(index, width);
            __m512 p10 = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), inside, below, p, 4);
            __m512 p11 = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), inside, _mm512_add_epi32(below, one), p, 4);
            __m512 top = lerp16(p00, p01, fx), bottom = lerp16(p10, p11, fx);
            __m512 value = lerp16(top, bottom, fy);
            _mm512_mask_storeu_ps(dst + (long)ch * plane + x, inside, value);
        }
        // Nearest neighbour: round half up, as the scalar path.
        __m512i my = _mm512_mask_add_epi32(y0, _mm512_cmp_ps_mask(fy, half, _CMP_GE_OQ), y0, one);
        __m512i mx = _mm512_mask_add_epi32(x0, _mm512_cmp_ps_mask(fx, half, _CMP_GE_OQ), x0, one);
        __m512i nearest = _mm512_add_epi32(_mm512_mullo_epi32(my, width), mx);
        __m512i label = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), inside, nearest, src_mask, 4);
        _mm512_mask_storeu_epi32(dst_mask + x, inside, label);
    }
}

#endif

int md_warp_bilinear(const float *src, int channels, int h, int w, const int *src_mask,
                     const float *rows, const float *cols, int count, float *dst, int *dst_mask,
                     long plane, unsigned short *outside, int constant_border, float border_value,
                     int mask_fill) {
    if (h < 2 || w < 2 || (long)h * w > 0x7FFFFFFFL) return 0;
    switch (md_cpu_tier()) {
#if defined(__x86_64__)
    case MD_CPU_AVX512:
        md_count_run(MD_FAMILY_WARP, MD_CPU_AVX512);
        warp_avx512(src, channels, h, w, src_mask, rows, cols, count, dst, dst_mask, plane, outside,
                    constant_border, border_value, mask_fill);
        return 1;
    case MD_CPU_AVX2:
        md_count_run(MD_FAMILY_WARP, MD_CPU_AVX2);
        md_warp_bilinear_avx2(src, channels, h, w, src_mask, rows, cols, count, dst, dst_mask, plane, outside,
                              constant_border, border_value, mask_fill);
        return 1;
#endif
#if defined(__aarch64__)
    case MD_CPU_NEON:
        md_count_run(MD_FAMILY_WARP, MD_CPU_NEON);
        md_warp_bilinear_neon(src, channels, h, w, src_mask, rows, cols, count, dst, dst_mask, plane, outside,
                              constant_border, border_value, mask_fill);
        return 1;
#endif
    default:
        return 0;
    }
}
