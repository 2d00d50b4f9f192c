// Matrix products for tfjs' WASM backend, all row-major float32.
//
// C = A B (matmul_nn): A is [M, K], B is [K, N], C is [M, N]. A 1x1 convolution's and a dense layer's
// forward, and (with B transposed first by `transpose`, B being the small weight) their input
// gradient dY W^T. XNNPACK's fully-connected path packs B as "weights" on every call and, on the
// narrow shapes of small feature maps (EfficientNet at 32 px: M = 32..8192 rows, K and N 16..1280),
// ran at 8-12 GMAC/s against 12-16 for these tiles (Node, one thread); here the rows also split over
// the kernel helpers.
//
// C = A^T B (matmul_tn): A is [M, K], B is [M, N], C is [K, N].
// This is a 1x1 convolution's (and a dense layer's) weight gradient: X^T dY over the N*H*W pixels.
// tfjs-wasm runs it as a transpose of the large A plus XNNPACK's fully-connected path, which
// repacks the large B as "weights" on every call (2-6 GMAC/s against 8-13 for the forward).
//
// Register tiles of 4 rows of C by 8 columns (8 SIMD accumulators) sweep a block of MB rows of A and
// B (kept in cache), then join C: one pass over A and B from memory, and float32 sums of at most MB
// terms before they join the total. MB = 32 keeps a block of A and B in L1 for the presets' widths
// (K = 64, N = 128: 24 KB): 1.1-1.4x MB = 128 on the classroom nets' shapes (Node, one thread).
//
// Build: `npm run build:kernels` (scripts/build-kernels.mjs), clang --target=wasm32 -msimd128, and again with
// -mrelaxed-simd (simd.h).
#include "simd.h"

#define MB 32

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
          c00 = madd(c00, a0, b0);
          c01 = madd(c01, a0, b1);
          c10 = madd(c10, a1, b0);
          c11 = madd(c11, a1, b1);
          c20 = madd(c20, a2, b0);
          c21 = madd(c21, a2, b1);
          c30 = madd(c30, a3, b0);
          c31 = madd(c31, a3, b1);
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
          c0 = madd(c0, wasm_f32x4_splat(a[0]), b0);
          c1 = madd(c1, wasm_f32x4_splat(a[1]), b0);
          c2 = madd(c2, wasm_f32x4_splat(a[2]), b0);
          c3 = madd(c3, wasm_f32x4_splat(a[3]), b0);
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
        for (int m = m0; m < m1; m++) c0 = madd(c0, wasm_f32x4_splat(A[(long)m * K + k]), wasm_v128_load(B + (long)m * N + n));
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

// A^T B summed over fixed chunks of `chunk` rows of A and B instead of split by rows of C: chunk j (rows
// [j*chunk, min(M, (j+1)*chunk))) writes its whole [K, N] product to part + j*K*N. Chunks [j0, j1) only: the
// caller may split them over threads, each then streaming only its rows of A and B (split by rows of C,
// every thread reads all of B: two threads pull the same cache lines). matmul_sum_parts then adds the
// parts in chunk order, so the values depend on `chunk`, not on the threads.
__attribute__((export_name("matmul_tn_chunks"))) void matmul_tn_chunks(int M, int K, int N, const float *A, const float *B, float *part, int chunk, int j0,
                                                                       int j1) {
  for (int j = j0; j < j1; j++) {
    const int m0 = j * chunk, rows = m0 + chunk < M ? chunk : M - m0;
    matmul_tn(rows, K, N, A + (long)m0 * K, B + (long)m0 * N, part + (long)j * K * N, 0, K);
  }
}

// The parts of matmul_tn_chunks joined in chunk order (simd.h sum_parts), elements [i0, i1).
__attribute__((export_name("matmul_sum_parts"))) void matmul_sum_parts(int count, int size, const float *part, float *out, int i0, int i1) {
  sum_parts(count, size, part, out, i0, i1);
}

// C = A B: one register tile of 4 rows by 8 columns (8 SIMD accumulators) at (m, n), over all of K.
static inline __attribute__((always_inline)) void nn_tile4x8(int K, int N, const float *A, const float *B, float *C, int m, int n) {
  v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  const float *a = A + (long)m * K;
  const float *b = B + n;
  for (int k = 0; k < K; k++, b += N) {
    const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
    const v128_t a0 = wasm_f32x4_splat(a[k]), a1 = wasm_f32x4_splat(a[K + k]), a2 = wasm_f32x4_splat(a[2 * K + k]), a3 = wasm_f32x4_splat(a[3 * K + k]);
    c00 = madd(c00, a0, b0);
    c01 = madd(c01, a0, b1);
    c10 = madd(c10, a1, b0);
    c11 = madd(c11, a1, b1);
    c20 = madd(c20, a2, b0);
    c21 = madd(c21, a2, b1);
    c30 = madd(c30, a3, b0);
    c31 = madd(c31, a3, b1);
  }
  float *c = C + (long)m * N + n;
  wasm_v128_store(c, c00), wasm_v128_store(c + 4, c01);
  wasm_v128_store(c + N, c10), wasm_v128_store(c + N + 4, c11);
  wasm_v128_store(c + 2 * N, c20), wasm_v128_store(c + 2 * N + 4, c21);
  wasm_v128_store(c + 3 * N, c30), wasm_v128_store(c + 3 * N + 4, c31);
}

// One row by 8 columns.
static inline __attribute__((always_inline)) void nn_tile1x8(int K, int N, const float *A, const float *B, float *C, int m, int n) {
  v128_t c0 = wasm_f32x4_splat(0.0f), c1 = c0;
  const float *a = A + (long)m * K;
  const float *b = B + n;
  for (int k = 0; k < K; k++, b += N) {
    const v128_t a0 = wasm_f32x4_splat(a[k]);
    c0 = madd(c0, a0, wasm_v128_load(b));
    c1 = madd(c1, a0, wasm_v128_load(b + 4));
  }
  wasm_v128_store(C + (long)m * N + n, c0), wasm_v128_store(C + (long)m * N + n + 4, c1);
}

// 4 rows by 4 columns.
static inline __attribute__((always_inline)) void nn_tile4x4(int K, int N, const float *A, const float *B, float *C, int m, int n) {
  v128_t c0 = wasm_f32x4_splat(0.0f), c1 = c0, c2 = c0, c3 = c0;
  const float *a = A + (long)m * K;
  const float *b = B + n;
  for (int k = 0; k < K; k++, b += N) {
    const v128_t b0 = wasm_v128_load(b);
    c0 = madd(c0, wasm_f32x4_splat(a[k]), b0);
    c1 = madd(c1, wasm_f32x4_splat(a[K + k]), b0);
    c2 = madd(c2, wasm_f32x4_splat(a[2 * K + k]), b0);
    c3 = madd(c3, wasm_f32x4_splat(a[3 * K + k]), b0);
  }
  float *c = C + (long)m * N + n;
  wasm_v128_store(c, c0), wasm_v128_store(c + N, c1), wasm_v128_store(c + 2 * N, c2), wasm_v128_store(c + 3 * N, c3);
}

// One row by 4 columns.
static inline __attribute__((always_inline)) void nn_tile1x4(int K, int N, const float *A, const float *B, float *C, int m, int n) {
  v128_t c0 = wasm_f32x4_splat(0.0f);
  const float *a = A + (long)m * K;
  const float *b = B + n;
  for (int k = 0; k < K; k++, b += N) c0 = madd(c0, wasm_f32x4_splat(a[k]), wasm_v128_load(b));
  wasm_v128_store(C + (long)m * N + n, c0);
}

// Rows of A per block: about 64 KB of A stays in cache while every column strip of B sweeps it (with
// the strips outer over all of A, a tall A was read from memory once per strip).
static inline int nn_block_rows(int K) {
  const int rows = (16384 / (K > 0 ? K : 1)) & ~3;
  return rows < 4 ? 4 : rows;
}

// C = A B on rows [m0, m1) and columns [n0, n1) of C. Each element is the float32 sum of A[m][k]*B[k][n]
// for k = 0, 1, ... in order, whatever tile computes it, so row or column ranges may run on several
// threads, and the leftover rows and columns are one more tile ending at the range's last row or last
// column: it computes some elements a second time, with the same value (tiles store, they do not add).
// Column ranges are at least 8 wide unless they are all of a narrow C (N < 8): then the 4-wide tiles, and
// for N < 4 a scalar loop; ranges under 4 rows take the one-row tiles.
static inline __attribute__((always_inline)) void nn_range(int K, int N, const float *A, const float *B, float *C, int m0, int m1, int n0, int n1) {
  const int mb = nn_block_rows(K);
  for (int b0 = m0; b0 < m1; b0 += mb) {
    const int b1 = b0 + mb < m1 ? b0 + mb : m1;
    if (n1 - n0 >= 8) {
      for (int n = n0; n < n1; n += 8) {
        const int nn = n + 8 <= n1 ? n : n1 - 8;
        if (m1 - m0 >= 4) {
          for (int m = b0; m < b1; m += 4) nn_tile4x8(K, N, A, B, C, m + 4 <= b1 ? m : (b1 - 4 > m0 ? b1 - 4 : m0), nn);
        } else {
          for (int m = b0; m < b1; m++) nn_tile1x8(K, N, A, B, C, m, nn);
        }
      }
    } else if (n1 - n0 >= 4) {
      for (int n = n0; n < n1; n += 4) {
        const int nn = n + 4 <= n1 ? n : n1 - 4;
        if (m1 - m0 >= 4) {
          for (int m = b0; m < b1; m += 4) nn_tile4x4(K, N, A, B, C, m + 4 <= b1 ? m : (b1 - 4 > m0 ? b1 - 4 : m0), nn);
        } else {
          for (int m = b0; m < b1; m++) nn_tile1x4(K, N, A, B, C, m, nn);
        }
      }
    } else {
      for (int m = b0; m < b1; m++)
        for (int n = n0; n < n1; n++) {
          float s = 0.0f;
          for (int k = 0; k < K; k++) s += A[(long)m * K + k] * B[(long)k * N + n];
          C[(long)m * N + n] = s;
        }
    }
  }
}

// C = A B on rows [m0, m1) of C (all columns).
__attribute__((export_name("matmul_nn"))) void matmul_nn(int M, int K, int N, const float *A, const float *B, float *C, int m0, int m1) {
  (void)M;
  nn_range(K, N, A, B, C, m0, m1, 0, N);
}

// C = A B on columns [n0, n1) of C (all rows; n1 - n0 >= 8): for A with few rows, each thread then
// streams only its columns of B, where a split by rows has every thread stream all of B.
__attribute__((export_name("matmul_nn_cols"))) void matmul_nn_cols(int M, int K, int N, const float *A, const float *B, float *C, int n0, int n1) {
  nn_range(K, N, A, B, C, 0, M, n0, n1);
}

// im2col for a convolution of x [N, H, W, C] by a K x K filter at stride S with P zero pixels on every
// side: row (n, oy, ox) of P [N*OH*OW, K*K*C] holds the input window of output pixel (oy, ox) of image n in
// the filter's own order (ky, kx, c), zeros where it overhangs the border; then C = P W (W [K*K*C, Co], the
// filter as it is) is the convolution. Images [n0, n1).
__attribute__((export_name("im2col"))) void im2col(int H, int W, int C, int K, int S, int P, int OH, int OW, const float *x, float *p, int n0, int n1) {
  const int row = K * K * C;
  for (int n = n0; n < n1; n++)
    for (int oy = 0; oy < OH; oy++)
      for (int ox = 0; ox < OW; ox++) {
        float *to = p + ((long)(n * OH + oy) * OW + ox) * row;
        // The taps kx in [a, b) of a window row lie inside the image: one contiguous run of x.
        const int x0 = ox * S - P;
        const int a = x0 < 0 ? -x0 : 0, b = x0 + K > W ? W - x0 : K;
        for (int ky = 0; ky < K; ky++, to += K * C) {
          const int iy = oy * S - P + ky;
          if (iy < 0 || iy >= H || a >= b) {
            zero(to, K * C);
            continue;
          }
          zero(to, a * C);
          const float *from = x + ((long)(n * H + iy) * W + x0 + a) * C;
          float *t = to + a * C;
          const int run = (b - a) * C;
          int i = 0;
          for (; i + 4 <= run; i += 4) wasm_v128_store(t + i, wasm_v128_load(from + i));
          for (; i < run; i++) t[i] = from[i];
          zero(to + b * C, (K - b) * C);
        }
      }
}

// T = S^T for S [R, Q] (T is [Q, R]), rows [r0, r1) of S: 4x4 blocks through SIMD shuffles.
__attribute__((export_name("transpose"))) void transpose(int R, int Q, const float *S, float *T, int r0, int r1) {
  int r = r0;
  for (; r + 4 <= r1; r += 4) {
    int q = 0;
    for (; q + 4 <= Q; q += 4) {
      const v128_t x0 = wasm_v128_load(S + (long)r * Q + q), x1 = wasm_v128_load(S + (long)(r + 1) * Q + q);
      const v128_t x2 = wasm_v128_load(S + (long)(r + 2) * Q + q), x3 = wasm_v128_load(S + (long)(r + 3) * Q + q);
      const v128_t t0 = wasm_i32x4_shuffle(x0, x1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(x0, x1, 2, 6, 3, 7);
      const v128_t t2 = wasm_i32x4_shuffle(x2, x3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(x2, x3, 2, 6, 3, 7);
      wasm_v128_store(T + (long)q * R + r, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
      wasm_v128_store(T + (long)(q + 1) * R + r, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
      wasm_v128_store(T + (long)(q + 2) * R + r, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
      wasm_v128_store(T + (long)(q + 3) * R + r, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
    }
    for (; q < Q; q++)
      for (int i = 0; i < 4; i++) T[(long)q * R + r + i] = S[(long)(r + i) * Q + q];
  }
  for (; r < r1; r++)
    for (int q = 0; q < Q; q++) T[(long)q * R + r] = S[(long)r * Q + q];
}

extern unsigned char __heap_base;
__attribute__((export_name("heap_base"))) unsigned int heap_base(void) { return (unsigned int)&__heap_base; }
