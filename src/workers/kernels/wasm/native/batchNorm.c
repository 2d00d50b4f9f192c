// Training-mode BatchNorm over NHWC seen as [M, C] (M = N*H*W rows of C channels), row-major float32,
// and a fused SGD-with-momentum update, for tfjs' WASM backend.
//
// tfjs formulates BatchNorm as ~10 full-size elementwise ops and four channel means (each a pooled
// reduction), every one a pass over memory and a new tensor. Here the forward is three passes
// (sum, centred sum of squares, output) and the backward two (two sums, output).
//
// Channel sums: float32 SIMD lanes over blocks of MB rows, each block's partial sum added into a
// double accumulator per channel, so a float32 sum has at most MB terms whatever M is.
//
// Build: `npm run build:kernels` (scripts/build-kernels.mjs), clang --target=wasm32 -msimd128.
#include <wasm_simd128.h>

#define MB 256

// acc[c] (+)= sum over rows r of f(r, c) for c in [c0, c1), in blocks of MB rows (see above).
// MODE 0: x; 1: (x - mean)^2; 2: dy and dy * (x - mean) into acc and acc2.
static void channel_sums(int mode, int M, int C, int c0, int c1, const float *x, const float *dy, const float *mean, double *acc, double *acc2) {
  for (int c = c0; c < c1; c++) acc[c] = 0.0, acc2[c] = 0.0;
  for (int m0 = 0; m0 < M; m0 += MB) {
    const int m1 = m0 + MB < M ? m0 + MB : M;
    int c = c0;
    for (; c + 4 <= c1; c += 4) {
      v128_t s = wasm_f32x4_splat(0.0f), s2 = s;
      const v128_t mu = mode == 0 ? s : wasm_v128_load(mean + c);
      for (int m = m0; m < m1; m++) {
        const v128_t v = wasm_v128_load(x + (long)m * C + c);
        if (mode == 0) {
          s = wasm_f32x4_add(s, v);
        } else if (mode == 1) {
          const v128_t d = wasm_f32x4_sub(v, mu);
          s = wasm_f32x4_add(s, wasm_f32x4_mul(d, d));
        } else {
          const v128_t g = wasm_v128_load(dy + (long)m * C + c);
          s = wasm_f32x4_add(s, g);
          s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(g, wasm_f32x4_sub(v, mu)));
        }
      }
      acc[c] += wasm_f32x4_extract_lane(s, 0);
      acc[c + 1] += wasm_f32x4_extract_lane(s, 1);
      acc[c + 2] += wasm_f32x4_extract_lane(s, 2);
      acc[c + 3] += wasm_f32x4_extract_lane(s, 3);
      acc2[c] += wasm_f32x4_extract_lane(s2, 0);
      acc2[c + 1] += wasm_f32x4_extract_lane(s2, 1);
      acc2[c + 2] += wasm_f32x4_extract_lane(s2, 2);
      acc2[c + 3] += wasm_f32x4_extract_lane(s2, 3);
    }
    for (; c < c1; c++) {
      float s = 0.0f, s2 = 0.0f;
      const float mu = mode == 0 ? 0.0f : mean[c];
      for (int m = m0; m < m1; m++) {
        const float v = x[(long)m * C + c];
        if (mode == 0) {
          s += v;
        } else if (mode == 1) {
          s += (v - mu) * (v - mu);
        } else {
          const float g = dy[(long)m * C + c];
          s += g;
          s2 += g * (v - mu);
        }
      }
      acc[c] += s;
      acc2[c] += s2;
    }
  }
}

// out = a * in + b * (x - mean) + k per channel (b, k may be zero vectors: y = gamma*invstd*(x - mean) + beta
// is a = 0, b = gamma*invstd, k = beta with in unused).
static void affine(int M, int C, int c0, int c1, const float *in, const float *x, const float *mean, const float *a, const float *b, const float *k,
                   float *out) {
  for (int m = 0; m < M; m++) {
    const long row = (long)m * C;
    int c = c0;
    for (; c + 4 <= c1; c += 4) {
      v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(b + c), wasm_f32x4_sub(wasm_v128_load(x + row + c), wasm_v128_load(mean + c))), wasm_v128_load(k + c));
      if (in) v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(a + c), wasm_v128_load(in + row + c)), v);
      wasm_v128_store(out + row + c, v);
    }
    for (; c < c1; c++) {
      float v = b[c] * (x[row + c] - mean[c]) + k[c];
      if (in) v = a[c] * in[row + c] + v;
      out[row + c] = v;
    }
  }
}

// The exported kernels work on channels [c0, c1) only: every pass is per channel, so channel ranges
// are independent and their values do not depend on the split; the caller may run ranges on several
// threads sharing this module's memory (no stack, no globals: scripts/build-kernels.mjs checks).

// Forward. Writes y [M, C], and per channel the batch mean, the biased variance and 1/sqrt(var + eps).
// scratch: 4*C floats (two double accumulators) then C floats.
__attribute__((export_name("bn_forward"))) void bn_forward(int M, int C, float eps, const float *x, const float *gamma, const float *beta, float *y, float *mean,
                                                           float *var, float *invstd, float *scratch, int c0, int c1) {
  double *acc = (double *)scratch, *acc2 = acc + C;
  float *scale = scratch + 4 * C;
  channel_sums(0, M, C, c0, c1, x, 0, 0, acc, acc2);
  for (int c = c0; c < c1; c++) mean[c] = (float)(acc[c] / M);
  channel_sums(1, M, C, c0, c1, x, 0, mean, acc, acc2);
  for (int c = c0; c < c1; c++) {
    const float v = (float)(acc[c] / M);
    var[c] = v;
    invstd[c] = (float)(1.0 / __builtin_sqrt((double)v + (double)eps));
    scale[c] = gamma[c] * invstd[c];
  }
  affine(M, C, c0, c1, 0, x, mean, 0, scale, beta, y);
}

// Backward, in closed form (x^ = (x - mean)*invstd):
//   dbeta = sum dy, dgamma = sum dy*x^, dx = gamma*invstd*(dy - dbeta/M - x^*dgamma/M).
// scratch: 4*C floats (two double accumulators) then 3*C floats.
__attribute__((export_name("bn_backward"))) void bn_backward(int M, int C, const float *x, const float *dy, const float *mean, const float *invstd, const float *gamma,
                                                             float *dx, float *dgamma, float *dbeta, float *scratch, int c0, int c1) {
  double *acc = (double *)scratch, *acc2 = acc + C;
  float *a = scratch + 4 * C, *b = a + C, *k = b + C;
  channel_sums(2, M, C, c0, c1, x, dy, mean, acc, acc2);
  for (int c = c0; c < c1; c++) {
    const double inv = invstd[c], gi = (double)gamma[c] * inv;
    dbeta[c] = (float)acc[c];
    dgamma[c] = (float)(acc2[c] * inv);
    a[c] = (float)gi;
    b[c] = (float)(-gi * inv * inv * acc2[c] / M);
    k[c] = (float)(-gi * acc[c] / M);
  }
  affine(M, C, c0, c1, dy, x, mean, a, b, k, dx);
}

// One SGD step in PyTorch's semantics on n weights, in place on p and v, with float32 operations in
// the order tfjs runs optimizer.ts' ops (so the result is bit for bit the same):
//   g = grad (+ wd*p), v = mu*v + g, p = p - lr*(nesterov ? g + mu*v : v).
__attribute__((export_name("sgd_update"))) void sgd_update(int n, float lr, float mu, float wd, int decay, int nesterov, float *p, float *v, const float *grad) {
  const v128_t lr4 = wasm_f32x4_splat(lr), mu4 = wasm_f32x4_splat(mu), wd4 = wasm_f32x4_splat(wd);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t pi = wasm_v128_load(p + i);
    v128_t g = wasm_v128_load(grad + i);
    if (decay) g = wasm_f32x4_add(g, wasm_f32x4_mul(wd4, pi));
    const v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(mu4, wasm_v128_load(v + i)), g);
    wasm_v128_store(v + i, vi);
    const v128_t step = nesterov ? wasm_f32x4_add(g, wasm_f32x4_mul(mu4, vi)) : vi;
    wasm_v128_store(p + i, wasm_f32x4_sub(pi, wasm_f32x4_mul(lr4, step)));
  }
  for (; i < n; i++) {
    float g = grad[i];
    if (decay) g = g + wd * p[i];
    const float vi = mu * v[i] + g;
    v[i] = vi;
    const float step = nesterov ? g + mu * vi : vi;
    p[i] = p[i] - lr * step;
  }
}

extern unsigned char __heap_base;
__attribute__((export_name("heap_base"))) unsigned int heap_base(void) { return (unsigned int)&__heap_base; }
