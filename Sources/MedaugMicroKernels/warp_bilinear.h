// The per-tier bodies of md_warp_bilinear (internal to the micro-kernels);
// arguments as there, h, w ≥ 2.
#ifndef MD_WARP_BILINEAR_H
#define MD_WARP_BILINEAR_H

void md_warp_bilinear_avx2(const float *src, int channels, int h, int w, const int *src_mask, const float *rows,
                           const float *cols, int count, float *dst, int *dst_mask, long plane,
                           unsigned short *outside, int constant, float border_value, int mask_fill);
void md_warp_bilinear_neon(const float *src, int channels, int h, int w, const int *src_mask, const float *rows,
                           const float *cols, int count, float *dst, int *dst_mask, long plane,
                           unsigned short *outside, int constant, float border_value, int mask_fill);

#endif
