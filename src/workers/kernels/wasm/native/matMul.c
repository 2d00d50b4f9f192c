// C = A^T B for tfjs' WASM backend: A is [M, K], B is [M, N], C is [K, N], all row-major float32.
// This is a 1x1 convolution's (and a dense layer's) weight gradient: X^T dY over the N*H*W pixels.
// tfjs-wasm runs it as a transpose of the large A plus XNNPACK's fully-connected path, which
// repacks the large B as "weights" on every call (2-6 GMAC/s against 8-13 for the forward).
//
// Register tiles of 4 rows of C by 8 columns (8 SIMD accumulators) sweep a block of MB rows of A and
// B (kept in cache), then join C: one pass over A and B from memory, and float32 sums of at most MB
// terms before they join the total.
//
// Build: `npm run build:kernels` (scripts/build-kernels.mjs), clang --target=wasm32 -msimd128.
#include <wasm_simd128.h>

#define MB 128

static void zero(float *p, int count) {
  int i = 0;
  for (; i + 4 <= count; i += 4) wasm_v128_store(p + i, wasm_f32x4_splat(0.0f));
  for (; i < count; i++) p[i] = 0.0f;
}

static inline void add4(float *p, v128_t v) { wasm_v128_store(p, wasm_f32x4_add(wasm_v128_load(p), v)); }

// Rows [k0, k1) of C only: row ranges are independent and each element's float operations do not
// depend on the range (the 4-row tiles and the single-row tail add the same terms in the same order),
// so the caller may run ranges on several threads sharing this module's memory (no stack, no globals).
__attribute__((export_name("matmul_tn"))) void matmul_tn(int M, int K, int N, const float *A, const float *B, float *C, int k0, int k1) {
  zero(C + (long)k0 * N, (k1 - k0) * N);
  const int n8 = N & ~7, n4 = N & ~3;
  for (int m0 = 0; m0 < M; m0 += MB) {
    const int m1 = m0 + MB < M ? m0 + MB : M;
    int k = k0;
    for (; k + 4 <= k1; k += 4) {
      int n = 0;
      for (; n < n8; n += 8) {
        v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int m = m0; m < m1; m++) {
          const float *a = A + (long)m * K + k;
          const float *b = B + (long)m * N + n;
          const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
          const v128_t a0 = wasm_f32x4_splat(a[0]), a1 = wasm_f32x4_splat(a[1]), a2 = wasm_f32x4_splat(a[2]), a3 = wasm_f32x4_splat(a[3]);
          c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, b0));
          c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, b1));
          c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, b0));
          c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, b1));
          c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a2, b0));
          c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a2, b1));
          c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a3, b0));
          c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a3, b1));
        }
        float *c = C + (long)k * N + n;
        add4(c, c00), add4(c + 4, c01);
        add4(c + N, c10), add4(c + N + 4, c11);
        add4(c + 2 * N, c20), add4(c + 2 * N + 4, c21);
        add4(c + 3 * N, c30), add4(c + 3 * N + 4, c31);
      }
      for (; n < n4; n += 4) {
        v128_t c0 = wasm_f32x4_splat(0.0f), c1 = c0, c2 = c0, c3 = c0;
        for (int m = m0; m < m1; m++) {
          const float *a = A + (long)m * K + k;
          const v128_t b0 = wasm_v128_load(B + (long)m * N + n);
          c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(wasm_f32x4_splat(a[0]), b0));
          c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(wasm_f32x4_splat(a[1]), b0));
          c2 = wasm_f32x4_add(c2, wasm_f32x4_mul(wasm_f32x4_splat(a[2]), b0));
          c3 = wasm_f32x4_add(c3, wasm_f32x4_mul(wasm_f32x4_splat(a[3]), b0));
        }
        float *c = C + (long)k * N + n;
        add4(c, c0), add4(c + N, c1), add4(c + 2 * N, c2), add4(c + 3 * N, c3);
      }
      for (; n < N; n++)
        for (int r = 0; r < 4; r++) {
          float s = 0.0f;
          for (int m = m0; m < m1; m++) s += A[(long)m * K + k + r] * B[(long)m * N + n];
          C[(long)(k + r) * N + n] += s;
        }
    }
    for (; k < k1; k++) {
      int n = 0;
      for (; n < n4; n += 4) {
        v128_t c0 = wasm_f32x4_splat(0.0f);
        for (int m = m0; m < m1; m++) c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(wasm_f32x4_splat(A[(long)m * K + k]), wasm_v128_load(B + (long)m * N + n)));
        add4(C + (long)k * N + n, c0);
      }
      for (; n < N; n++) {
        float s = 0.0f;
        for (int m = m0; m < m1; m++) s += A[(long)m * K + k] * B[(long)m * N + n];
        C[(long)k * N + n] += s;
      }
    }
  }
}

extern unsigned char __heap_base;
__attribute__((export_name("heap_base"))) unsigned int heap_base(void) { return (unsigned int)&__heap_base; }
