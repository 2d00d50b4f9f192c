// Training-mode BatchNorm over NHWC seen as [M, C] (M = N*H*W rows of C channels), row-major float32,
// and a fused SGD-with-momentum update, for tfjs' WASM backend.
//
// tfjs formulates BatchNorm as ~10 full-size elementwise ops and four channel means (each a pooled
// reduction), every one a pass over memory and a new tensor. Here the forward is three passes
// (sum, centred sum of squares, output) and the backward two (two sums, output).
//
// Channel sums: float32 SIMD lanes over blocks of MB rows, each block's partial sum added into a
// double accumulator per channel in block order, so a float32 sum has at most MB terms whatever M is.
//
// Build: `npm run build:kernels` (scripts/build-kernels.mjs), clang --target=wasm32 -msimd128.
#include <wasm_simd128.h>

#define MB 256

// Per block b of MB rows in [b0, b1) and channel c: part[b*C + c] = the float32 sum over the block's
// rows r of f(r, c), and part2 likewise for the second sum of MODE 2.
// MODE 0: x; 1: (x - mean)^2; 2: g and g * (x - mean) where g = dy, or where `y` (the output of a ReLU
// after the BatchNorm) is given, g = dy * (y > 0 ? 1 : 0): ReLU's gradient as relu_backward computes it.
static void block_sums(int mode, int M, int C, const float *x, const float *dy, const float *y, const float *mean, float *part, float *part2, int b0,
                       int b1) {
  const v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  for (int blk = b0; blk < b1; blk++) {
    const int m0 = blk * MB, m1 = m0 + MB < M ? m0 + MB : M;
    float *p = part + (long)blk * C, *p2 = part2 + (long)blk * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
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
          v128_t g = wasm_v128_load(dy + (long)m * C + c);
          if (y) g = wasm_f32x4_mul(g, wasm_v128_and(one, wasm_f32x4_gt(wasm_v128_load(y + (long)m * C + c), zero)));
          s = wasm_f32x4_add(s, g);
          s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(g, wasm_f32x4_sub(v, mu)));
        }
      }
      wasm_v128_store(p + c, s);
      if (mode == 2) wasm_v128_store(p2 + c, s2);
    }
    for (; c < C; c++) {
      float s = 0.0f, s2 = 0.0f;
      const float mu = mode == 0 ? 0.0f : mean[c];
      for (int m = m0; m < m1; m++) {
        const float v = x[(long)m * C + c];
        if (mode == 0) {
          s += v;
        } else if (mode == 1) {
          s += (v - mu) * (v - mu);
        } else {
          float g = dy[(long)m * C + c];
          if (y) g = g * (y[(long)m * C + c] > 0.0f ? 1.0f : 0.0f);
          s += g;
          s2 += g * (v - mu);
        }
      }
      p[c] = s;
      if (mode == 2) p2[c] = s2;
    }
  }
}

// The channel total of the blocks' float32 sums, in double, in block order.
static double total(const float *part, int blocks, int C, int c) {
  double acc = 0.0;
  for (int blk = 0; blk < blocks; blk++) acc += part[(long)blk * C + c];
  return acc;
}

// out = a * g + b * (x - mean) + k per channel on rows [m0, m1) (b, k may be zero vectors:
// y = gamma*invstd*(x - mean) + beta is a = 0, b = gamma*invstd, k = beta with in unused), where
// g = in, or g = in * (mask > 0 ? 1 : 0) where `mask` is given (a ReLU's output: its gradient);
// `relu` takes max(out, 0) (a ReLU right after the BatchNorm).
static void affine(int C, int m0, int m1, const float *in, const float *mask, const float *x, const float *mean, const float *a, const float *b,
                   const float *k, int relu, float *out) {
  const v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  for (int m = m0; m < m1; m++) {
    const long row = (long)m * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(b + c), wasm_f32x4_sub(wasm_v128_load(x + row + c), wasm_v128_load(mean + c))), wasm_v128_load(k + c));
      if (in) {
        v128_t g = wasm_v128_load(in + row + c);
        if (mask) g = wasm_f32x4_mul(g, wasm_v128_and(one, wasm_f32x4_gt(wasm_v128_load(mask + row + c), zero)));
        v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(a + c), g), v);
      }
      if (relu) v = wasm_f32x4_max(v, zero);
      wasm_v128_store(out + row + c, v);
    }
    for (; c < C; c++) {
      float v = b[c] * (x[row + c] - mean[c]) + k[c];
      if (in) {
        float g = in[row + c];
        if (mask) g = g * (mask[row + c] > 0.0f ? 1.0f : 0.0f);
        v = a[c] * g + v;
      }
      if (relu) v = v > 0.0f ? v : (v == v ? 0.0f : v);
      out[row + c] = v;
    }
  }
}

// The passes are exported one by one: the row passes take a range (blocks of MB rows for the sums,
// rows for the output), the per-channel steps between them run once. Ranges are independent and each
// element's float operations do not depend on the split, so the caller may run ranges on several
// threads sharing this module's memory (no stack, no globals: scripts/build-kernels.mjs checks).
// `part` and `part2` hold ceil(M / MB) * C floats each.

// Rows per block of the sums: the unit the caller splits the sum passes by.
__attribute__((export_name("bn_block_rows"))) int bn_block_rows(void) { return MB; }

__attribute__((export_name("bn_block_sums"))) void bn_block_sums(int mode, int M, int C, const float *x, const float *dy, const float *y,
                                                                 const float *mean, float *part, float *part2, int b0, int b1) {
  block_sums(mode, M, C, x, dy, y, mean, part, part2, b0, b1);
}

// Forward, after the block sums of x: the batch mean.
__attribute__((export_name("bn_mean"))) void bn_mean(int M, int C, const float *part, float *mean) {
  const int blocks = (M + MB - 1) / MB;
  for (int c = 0; c < C; c++) mean[c] = (float)(total(part, blocks, C, c) / M);
}

// Forward, after the block sums of (x - mean)^2: the biased variance, 1/sqrt(var + eps) and gamma*invstd.
__attribute__((export_name("bn_variance"))) void bn_variance(int M, int C, float eps, const float *part, const float *gamma, float *var, float *invstd,
                                                             float *scale) {
  const int blocks = (M + MB - 1) / MB;
  for (int c = 0; c < C; c++) {
    const float v = (float)(total(part, blocks, C, c) / M);
    var[c] = v;
    invstd[c] = (float)(1.0 / __builtin_sqrt((double)v + (double)eps));
    scale[c] = gamma[c] * invstd[c];
  }
}

// Backward, in closed form (x^ = (x - mean)*invstd), after the block sums of dy and dy*(x - mean):
//   dbeta = sum dy, dgamma = sum dy*x^, dx = gamma*invstd*(dy - dbeta/M - x^*dgamma/M),
// here the per-channel coefficients of dx = a*dy + b*(x - mean) + k.
__attribute__((export_name("bn_backward_coefficients"))) void bn_backward_coefficients(int M, int C, const float *part, const float *part2,
                                                                                       const float *invstd, const float *gamma, float *dgamma,
                                                                                       float *dbeta, float *a, float *b, float *k) {
  const int blocks = (M + MB - 1) / MB;
  for (int c = 0; c < C; c++) {
    const double s = total(part, blocks, C, c), s2 = total(part2, blocks, C, c);
    const double inv = invstd[c], gi = (double)gamma[c] * inv;
    dbeta[c] = (float)s;
    dgamma[c] = (float)(s2 * inv);
    a[c] = (float)gi;
    b[c] = (float)(-gi * inv * inv * s2 / M);
    k[c] = (float)(-gi * s / M);
  }
}

// affine() on rows [m0, m1): the forward's output (in = 0, a unused, b = scale, k = beta; relu for
// a fused ReLU) and the backward's dx (in = dy, mask = the fused ReLU's output or 0).
__attribute__((export_name("bn_affine"))) void bn_affine(int C, const float *in, const float *mask, const float *x, const float *mean, const float *a,
                                                         const float *b, const float *k, int relu, float *out, int m0, int m1) {
  affine(C, m0, m1, in, mask, x, mean, a, b, k, relu, out);
}

// ReLU's gradient from its output: dx = dy * (y > 0 ? 1 : 0) on elements [i0, i1) (y > 0 exactly where
// the input was > 0; at 0 the derivative taken is 0, as tfjs' step(x)). The multiply keeps tfjs'
// values bit for bit (-0 for a negative dy, NaN for a NaN dy). One pass instead of tfjs' three (step,
// cast, multiply).
__attribute__((export_name("relu_backward"))) void relu_backward(const float *y, const float *dy, float *dx, int i0, int i1) {
  const v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  int i = i0;
  for (; i + 4 <= i1; i += 4)
    wasm_v128_store(dx + i, wasm_f32x4_mul(wasm_v128_load(dy + i), wasm_v128_and(one, wasm_f32x4_gt(wasm_v128_load(y + i), zero))));
  for (; i < i1; i++) dx[i] = dy[i] * (y[i] > 0.0f ? 1.0f : 0.0f);
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
