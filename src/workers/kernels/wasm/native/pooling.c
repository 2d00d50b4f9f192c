// The max pool's gradient for tfjs' WASM backend, NHWC float32 (stock tfjs-wasm runs it as a scalar
// loop far slower than the forward pool): each output's gradient goes to the first position of its
// window, in row-major order, whose input equals the output (the pooled maximum), as tfjs' CPU backend
// does. Vectorised over 4 channels: per lane a "found" mask keeps only the first match; where a lane
// does not match, the stored value is left as it was (a select, not an addition of zero).
//
// Build: `npm run build:kernels` (scripts/build-kernels.mjs), clang --target=wasm32 -msimd128.
#include <wasm_simd128.h>

static inline int max_i(int a, int b) { return a > b ? a : b; }
static inline int min_i(int a, int b) { return a < b ? a : b; }

// dx for images [n0, n1) (each image's dx is written by the range that holds it: ranges are
// independent, and any split gives the same values; no stack, no globals, see pool.ts).
__attribute__((export_name("max_pool_grad"))) void max_pool_grad(int h, int w, int c, int oh, int ow, int fh, int fw, int sh, int sw, int pt, int pl,
                                                                const float *x, const float *y, const float *dy, float *dx, int n0, int n1) {
  const int c4 = c & ~3;
  for (int b = n0; b < n1; b++) {
    float *dxb = dx + (long)b * h * w * c;
    for (long i = 0; i < (long)h * w * c; i++) dxb[i] = 0.0f;
    for (int r = 0; r < oh; r++) {
      const int h0 = r * sh - pt, i0 = max_i(0, -h0), i1 = min_i(fh, h - h0);
      for (int q = 0; q < ow; q++) {
        const int w0 = q * sw - pl, j0 = max_i(0, -w0), j1 = min_i(fw, w - w0);
        const long yOff = (((long)b * oh + r) * ow + q) * c;
        int k = 0;
        for (; k < c4; k += 4) {
          const v128_t target = wasm_v128_load(y + yOff + k), g = wasm_v128_load(dy + yOff + k);
          v128_t found = wasm_i32x4_splat(0);
          for (int i = i0; i < i1 && !wasm_i32x4_all_true(found); i++)
            for (int j = j0; j < j1; j++) {
              const long at = (((long)b * h + h0 + i) * w + w0 + j) * c + k;
              const v128_t hit = wasm_v128_andnot(wasm_f32x4_eq(wasm_v128_load(x + at), target), found);
              if (wasm_v128_any_true(hit)) {
                const v128_t old = wasm_v128_load(dx + at);
                wasm_v128_store(dx + at, wasm_v128_bitselect(wasm_f32x4_add(old, g), old, hit));
                found = wasm_v128_or(found, hit);
              }
            }
        }
        for (; k < c; k++) {
          const float target = y[yOff + k];
          for (int i = i0; i < i1; i++)
            for (int j = j0; j < j1; j++) {
              const long at = (((long)b * h + h0 + i) * w + w0 + j) * c + k;
              if (x[at] == target) {
                dx[at] += dy[yOff + k];
                goto next;
              }
            }
        next:;
        }
      }
    }
  }
}

// The first byte free for tensors (after the data and stack the linker placed).
extern unsigned char __heap_base;
__attribute__((export_name("heap_base"))) unsigned int heap_base(void) { return (unsigned int)&__heap_base; }
