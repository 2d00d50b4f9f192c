// Training-mode BatchNorm over NHWC seen as [M, C] (M = N*H*W rows of C channels), row-major float32,
// and a fused SGD-with-momentum update, for tfjs' WASM backend.
//
// tfjs formulates BatchNorm as ~10 full-size elementwise ops and four channel means (each a pooled
// reduction), every one a pass over memory and a new tensor. Here the forward is two passes over
// memory (each block's sum and centred sum of squares while the block is in cache, then the output)
// and the backward two (two sums, output).
//
// Channel sums: float32 SIMD lanes over blocks of MB rows, each block's partial sums joined in double
// per channel in block order, so a float32 sum has at most MB terms whatever M is.
//
// Build: `npm run build:kernels` (scripts/build-kernels.mjs), clang --target=wasm32 -msimd128, and with
// -mrelaxed-simd (simd.h's madd fused) as the RELAXED_* builds native.ts prefers where they validate.
#include "simd.h"

#define MB 256

// The per-block channel sums run over chunks of 4*V channels (V SIMD vectors: 64 bytes, a cache line, at
// V = 4) with the block's rows inner: V independent accumulator chains (one chain is bound by the
// addition's latency), and the chunk of a 256-row block stays in L1 between the two loops of the moments.
#define V 4

// The activation fused after a BatchNorm (ACT_SILU: x * sigmoid(x), EfficientNet's); ACT_SIGMOID only in
// bias_activation (squeeze-and-excitation's gate).
#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_SILU 2
#define ACT_SIGMOID 3

// g where pre > 0, else g * 0 (ReLU's gradient given its input, or anything with the same sign test).
static inline v128_t relu_mask(v128_t g, v128_t pre, v128_t zero, v128_t one) {
  return wasm_f32x4_mul(g, wasm_v128_and(one, wasm_f32x4_gt(pre, zero)));
}

// e^x, float32, lanewise: x clamped to [-87, 88] (past it float32's e^x is 0 or overflows), x = n ln2 + r
// with |r| <= ln2/2 (ln2 in two parts, so r is exact), e^r by its degree-6 Taylor polynomial (truncation
// under 2e-8 relative), times 2^n built in the exponent bits. Within a few ulp of e^x.
// Cheap lowerings (an e^x per element is most of a SiLU's cost): the clamp by pmin/pmax (one x86 minps/maxps
// each; f32x4.min/max's NaN and -0 rules cost several instructions, and a NaN still propagates here), and
// n rounded by adding 1.5*2^23 + 127 (the add rounds to nearest even, as f32x4.nearest would; the low bits
// then hold n + 127, shifted into the exponent) instead of nearest and a saturating conversion. The
// polynomial's multiply-adds and the scaling's are simd.h's madd: fused in the relaxed SIMD build (a third
// less time per e^x: 1.15 -> 0.76 ns an element on one thread here, SiLU's forward 1.61 -> 1.06 ns), two
// operations in the plain one. Either way n is an integer next to x*log2e and r is exact from it.
static inline v128_t exp4(v128_t x) {
  x = wasm_f32x4_pmin(wasm_f32x4_splat(88.0f), wasm_f32x4_pmax(wasm_f32x4_splat(-87.0f), x));
  const v128_t magic = wasm_f32x4_splat(12583039.0f); // 1.5 * 2^23 + 127
  const v128_t biased = madd(magic, x, wasm_f32x4_splat(1.44269504088896341f));
  const v128_t n = wasm_f32x4_sub(biased, magic);
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.0f / 720.0f);
  p = madd(wasm_f32x4_splat(1.0f / 120.0f), p, r);
  p = madd(wasm_f32x4_splat(1.0f / 24.0f), p, r);
  p = madd(wasm_f32x4_splat(1.0f / 6.0f), p, r);
  p = madd(wasm_f32x4_splat(0.5f), p, r);
  p = madd(wasm_f32x4_splat(1.0f), p, r);
  p = madd(wasm_f32x4_splat(1.0f), p, r);
  return wasm_f32x4_mul(p, wasm_i32x4_shl(biased, 23));
}

// sigmoid(x) = 1 / (1 + e^-x).
static inline v128_t sigmoid4(v128_t x) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, exp4(wasm_f32x4_neg(x))));
}

// The same in one lane (the tails): lane 0 of the vector functions, so every element gets the same
// float operations whichever loop computes it.
static inline float sigmoid1(float x) { return wasm_f32x4_extract_lane(sigmoid4(wasm_f32x4_splat(x)), 0); }

// x * sigmoid(x).
static inline v128_t silu4(v128_t x) { return wasm_f32x4_mul(x, sigmoid4(x)); }

// g * silu'(pre): silu'(x) = s (1 + x (1 - s)), s = sigmoid(x).
static inline v128_t silu_grad4(v128_t g, v128_t pre) {
  const v128_t one = wasm_f32x4_splat(1.0f), s = sigmoid4(pre);
  return wasm_f32x4_mul(g, wasm_f32x4_mul(s, wasm_f32x4_add(one, wasm_f32x4_mul(pre, wasm_f32x4_sub(one, s)))));
}

// g * silu'(pre) with s = sigmoid(pre) given (stored by the forward: no e^x), the same operations as silu_grad4.
static inline v128_t silu_grad_s4(v128_t g, v128_t pre, v128_t s) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_mul(g, wasm_f32x4_mul(s, wasm_f32x4_add(one, wasm_f32x4_mul(pre, wasm_f32x4_sub(one, s)))));
}

// The gradient of the activation `act` given its input pre (ReLU's mask or SiLU's derivative) times g.
static inline v128_t act_grad4(int act, v128_t g, v128_t pre, v128_t zero, v128_t one) {
  return act == ACT_SILU ? silu_grad4(g, pre) : relu_mask(g, pre, zero, one);
}

static inline float silu_grad_s1(float g, float pre, float s) { return g * (s * (1.0f + pre * (1.0f - s))); }

static inline float act_grad1(int act, float g, float pre) {
  if (act == ACT_SILU) return silu_grad_s1(g, pre, sigmoid1(pre));
  return g * (pre > 0.0f ? 1.0f : 0.0f);
}

// Forward: per block of rows [m0, m1) and channel c, the block's float32 mean mb = (sum of x) * (1/n)
// into p[c], then, re-reading the block while it is in cache (one pass over memory for both), the float32
// sums of (x - mb)^2 into p2[c] and of x - mb into p3[c]: small terms, so n*mb + p3[c] is the block's sum
// far more exactly than a float32 sum of x (the corrected two-pass algorithm). bn_moments joins the blocks.
// C: the channels summed (x, p, p2, p3 start at the first), S: floats from one row to the next (C, or more
// for a range of a wider row); gradient_sums_block alike.
static inline __attribute__((always_inline)) void moments_block(int C, int S, const float *x, float *p, float *p2, float *p3, int m0, int m1) {
  const float inv_n = 1.0f / (float)(m1 - m0);
  const v128_t inv4 = wasm_f32x4_splat(inv_n);
  int c = 0;
  for (; c + 4 * V <= C; c += 4 * V) {
    v128_t s[V], q[V], r[V];
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) s[v] = q[v] = r[v] = wasm_f32x4_splat(0.0f);
    for (int m = m0; m < m1; m++)
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) s[v] = wasm_f32x4_add(s[v], wasm_v128_load(x + (long)m * S + c + 4 * v));
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) s[v] = wasm_f32x4_mul(s[v], inv4); // now the block mean
    for (int m = m0; m < m1; m++)
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) {
        const v128_t d = wasm_f32x4_sub(wasm_v128_load(x + (long)m * S + c + 4 * v), s[v]);
        q[v] = wasm_f32x4_add(q[v], wasm_f32x4_mul(d, d));
        r[v] = wasm_f32x4_add(r[v], d);
      }
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) {
      wasm_v128_store(p + c + 4 * v, s[v]);
      wasm_v128_store(p2 + c + 4 * v, q[v]);
      wasm_v128_store(p3 + c + 4 * v, r[v]);
    }
  }
  for (; c + 4 <= C; c += 4) {
    v128_t s = wasm_f32x4_splat(0.0f), q = s, r = s;
    for (int m = m0; m < m1; m++) s = wasm_f32x4_add(s, wasm_v128_load(x + (long)m * S + c));
    s = wasm_f32x4_mul(s, inv4);
    for (int m = m0; m < m1; m++) {
      const v128_t d = wasm_f32x4_sub(wasm_v128_load(x + (long)m * S + c), s);
      q = wasm_f32x4_add(q, wasm_f32x4_mul(d, d));
      r = wasm_f32x4_add(r, d);
    }
    wasm_v128_store(p + c, s), wasm_v128_store(p2 + c, q), wasm_v128_store(p3 + c, r);
  }
  for (; c < C; c++) {
    float s = 0.0f, q = 0.0f, r = 0.0f;
    for (int m = m0; m < m1; m++) s += x[(long)m * S + c];
    s = s * inv_n;
    for (int m = m0; m < m1; m++) {
      const float d = x[(long)m * S + c] - s;
      q += d * d;
      r += d;
    }
    p[c] = s, p2[c] = q, p3[c] = r;
  }
}

// Backward: per block and channel, p[c] = the float32 sum of g and p2[c] that of g * (x - mean), where
// g = dy, or where a ReLU followed the BatchNorm (fs, fb given: the forward's gamma*invstd and beta),
// g = dy * (fs*(x - mean) + fb > 0 ? 1 : 0): the ReLU's gradient, its mask recomputed from x with the
// forward's float operations (the same test as its output y > 0, NaN included) instead of read from y;
// where a SiLU followed it (act), g = dy * silu'(fs*(x - mean) + fb), its input recomputed the same way.
// With gout, g is also stored there (for the output pass to read rather than recompute: SiLU's e^x). With sg
// (SiLU), sigmoid(pre) is read from there (the forward stored it) instead of computed.
// STORED: a compile-time constant at each call (sg given or not), so the loops test nothing more for it.
static inline __attribute__((always_inline)) void gradient_sums_block(int STORED, int C, int S, const float *x, const float *dy, const float *fs, const float *fb,
                                                                      int act, float *gout, const float *sg, const float *mean, float *p, float *p2, int m0, int m1) {
  const v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  int c = 0;
  for (; c + 4 * V <= C; c += 4 * V) {
    v128_t s[V], s2[V], mu[V];
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) s[v] = s2[v] = zero, mu[v] = wasm_v128_load(mean + c + 4 * v);
    for (int m = m0; m < m1; m++)
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) {
        const long i = (long)m * S + c + 4 * v;
        const v128_t d = wasm_f32x4_sub(wasm_v128_load(x + i), mu[v]);
        v128_t g = wasm_v128_load(dy + i);
        if (fs) {
          const v128_t pre = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(fs + c + 4 * v), d), wasm_v128_load(fb + c + 4 * v));
          g = STORED ? silu_grad_s4(g, pre, wasm_v128_load(sg + i)) : act_grad4(act, g, pre, zero, one);
        }
        if (gout) wasm_v128_store(gout + i, g);
        s[v] = wasm_f32x4_add(s[v], g);
        s2[v] = wasm_f32x4_add(s2[v], wasm_f32x4_mul(g, d));
      }
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) wasm_v128_store(p + c + 4 * v, s[v]), wasm_v128_store(p2 + c + 4 * v, s2[v]);
  }
  for (; c + 4 <= C; c += 4) {
    v128_t s = zero, s2 = zero;
    const v128_t mu = wasm_v128_load(mean + c);
    for (int m = m0; m < m1; m++) {
      const long i = (long)m * S + c;
      const v128_t d = wasm_f32x4_sub(wasm_v128_load(x + i), mu);
      v128_t g = wasm_v128_load(dy + i);
      if (fs) {
        const v128_t pre = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(fs + c), d), wasm_v128_load(fb + c));
        g = STORED ? silu_grad_s4(g, pre, wasm_v128_load(sg + i)) : act_grad4(act, g, pre, zero, one);
      }
      if (gout) wasm_v128_store(gout + i, g);
      s = wasm_f32x4_add(s, g);
      s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(g, d));
    }
    wasm_v128_store(p + c, s), wasm_v128_store(p2 + c, s2);
  }
  for (; c < C; c++) {
    float s = 0.0f, s2 = 0.0f;
    for (int m = m0; m < m1; m++) {
      const float d = x[(long)m * S + c] - mean[c];
      float g = dy[(long)m * S + c];
      if (fs) g = STORED ? silu_grad_s1(g, fs[c] * d + fb[c], sg[(long)m * S + c]) : act_grad1(act, g, fs[c] * d + fb[c]);
      if (gout) gout[(long)m * S + c] = g;
      s += g;
      s2 += g * d;
    }
    p[c] = s, p2[c] = s2;
  }
}

// Blocks [b0, b1) of MB rows, W channels of rows C apart: MODE 0 the forward's moments, 1 the backward's
// sums; block b writes part[b*C ...], part2[b*C ...] and (MODE 0) part3[b*C ...].
static void block_sums(int mode, int M, int C, int W, const float *x, const float *dy, const float *fs, const float *fb, int act, float *gout,
                       const float *sg, const float *mean, float *part, float *part2, float *part3, int b0, int b1) {
  for (int blk = b0; blk < b1; blk++) {
    const int m0 = blk * MB, m1 = m0 + MB < M ? m0 + MB : M;
    if (mode == 0)
      moments_block(W, C, x, part + (long)blk * C, part2 + (long)blk * C, part3 + (long)blk * C, m0, m1);
    else if (sg)
      gradient_sums_block(1, W, C, x, dy, fs, fb, act, gout, sg, mean, part + (long)blk * C, part2 + (long)blk * C, m0, m1);
    else
      gradient_sums_block(0, W, C, x, dy, fs, fb, act, gout, sg, mean, part + (long)blk * C, part2 + (long)blk * C, m0, m1);
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
// g = in, or where fs and fb are given (a ReLU followed the BatchNorm: the forward's gamma*invstd and
// beta), g = in * (fs*(x - mean) + fb > 0 ? 1 : 0): its gradient, the mask as in gradient_sums_block;
// `res` (may be 0) is added to out (a residual addition right after the BatchNorm: BatchNorm's output is
// rounded to float32 first, then the sum, as the two ops would); then the activation `act` (forward:
// ReLU max(out, 0) or SiLU out * sigmoid(out), the sigmoid also stored in sg where given, for the backward
// to read; backward, with fs and fb: which gradient multiplies in, SiLU's from the sigmoid in sg where given).
static inline __attribute__((always_inline)) void affine(int STORED, int C, int m0, int m1, const float *in, const float *fs, const float *fb, const float *x,
                                                         const float *mean, const float *a, const float *b, const float *k, const float *res, int act, float *out,
                                                         float *sg) {
  const v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  for (int m = m0; m < m1; m++) {
    const long row = (long)m * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      const v128_t d = wasm_f32x4_sub(wasm_v128_load(x + row + c), wasm_v128_load(mean + c));
      v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(b + c), d), wasm_v128_load(k + c));
      if (in) {
        v128_t g = wasm_v128_load(in + row + c);
        if (fs) {
          const v128_t pre = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(fs + c), d), wasm_v128_load(fb + c));
          g = STORED ? silu_grad_s4(g, pre, wasm_v128_load(sg + row + c)) : act_grad4(act, g, pre, zero, one);
        }
        v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(a + c), g), v);
      } else {
        if (res) v = wasm_f32x4_add(v, wasm_v128_load(res + row + c));
        if (act == ACT_RELU) v = wasm_f32x4_max(v, zero);
        if (act == ACT_SILU) {
          const v128_t s = sigmoid4(v);
          if (STORED) wasm_v128_store(sg + row + c, s);
          v = wasm_f32x4_mul(v, s); // silu4's operations
        }
      }
      wasm_v128_store(out + row + c, v);
    }
    for (; c < C; c++) {
      const float d = x[row + c] - mean[c];
      float v = b[c] * d + k[c];
      if (in) {
        float g = in[row + c];
        if (fs) g = STORED ? silu_grad_s1(g, fs[c] * d + fb[c], sg[row + c]) : act_grad1(act, g, fs[c] * d + fb[c]);
        v = a[c] * g + v;
      } else {
        if (res) v = v + res[row + c];
        if (act == ACT_RELU) v = v > 0.0f ? v : (v == v ? 0.0f : v);
        if (act == ACT_SILU) {
          const float s = sigmoid1(v);
          if (STORED) sg[row + c] = s;
          v = v * s;
        }
      }
      out[row + c] = v;
    }
  }
}

// The passes are exported one by one: the row passes take a range (blocks of MB rows for the sums,
// rows for the output), the per-channel steps between them run once. Ranges are independent and each
// element's float operations do not depend on the split, so the caller may run ranges on several
// threads sharing this module's memory (no stack, no globals: scripts/build-kernels.mjs checks).
// `part`, `part2` and `part3` hold ceil(M / MB) * C floats each.

// Rows per block of the sums: the unit the caller splits the sum passes by.
__attribute__((export_name("bn_block_rows"))) int bn_block_rows(void) { return MB; }

__attribute__((export_name("bn_block_sums"))) void bn_block_sums(int mode, int M, int C, const float *x, const float *dy, const float *fs,
                                                                 const float *fb, int act, float *gout, const float *sg, const float *mean, float *part,
                                                                 float *part2, float *part3, int b0, int b1, int c0, int c1) {
  if (c1 <= 0 || (c0 == 0 && c1 == C)) {
    block_sums(mode, M, C, C, x, dy, fs, fb, act, gout, sg, mean, part, part2, part3, b0, b1);
    return;
  }
  // Channels [c0, c1) of every row: each pointer moved to channel c0, rows still C apart.
  const float *at_fs = fs ? fs + c0 : 0, *at_fb = fb ? fb + c0 : 0, *at_sg = sg ? sg + c0 : 0, *at_dy = dy ? dy + c0 : 0;
  block_sums(mode, M, C, c1 - c0, x + c0, at_dy, at_fs, at_fb, act, gout ? gout + c0 : 0, at_sg, mean ? mean + c0 : 0, part + c0, part2 + c0, part3 ? part3 + c0 : 0,
             b0, b1);
}

// Forward, after the block moments: the batch mean, the biased variance, 1/sqrt(var + eps) and
// gamma*invstd. The blocks join in double, in block order, from each block's mean mb, sum of squares q
// and sum r of the deviations about mb (Chan et al.'s pairwise update; r accounts for mb's rounding):
//   sum = sum_b (n_b mb + r_b),  M2 = sum_b [ q_b + 2 (mb - mean) r_b + n_b (mb - mean)^2 ].
__attribute__((export_name("bn_moments"))) void bn_moments(int M, int C, float eps, const float *part, const float *part2, const float *part3,
                                                           const float *gamma, float *mean, float *var, float *invstd, float *scale) {
  const int blocks = (M + MB - 1) / MB;
  for (int c = 0; c < C; c++) {
    double sum = 0.0;
    for (int blk = 0; blk < blocks; blk++) {
      const int n = (blk + 1) * MB < M ? MB : M - blk * MB;
      sum += n * (double)part[(long)blk * C + c] + (double)part3[(long)blk * C + c];
    }
    const double mu = sum / M;
    double m2 = 0.0;
    for (int blk = 0; blk < blocks; blk++) {
      const int n = (blk + 1) * MB < M ? MB : M - blk * MB;
      const double d = (double)part[(long)blk * C + c] - mu;
      m2 += (double)part2[(long)blk * C + c] + 2.0 * d * (double)part3[(long)blk * C + c] + n * d * d;
    }
    const double v = m2 / M;
    mean[c] = (float)mu;
    var[c] = (float)v;
    invstd[c] = (float)(1.0 / __builtin_sqrt(v + (double)eps));
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

// affine() on rows [m0, m1): the forward's output (in = 0, a unused, b = scale, k = beta; res for a
// fused residual addition; act for a fused ReLU or SiLU) and the backward's dx (in = dy; fs, fb = the
// forward's scale and beta after a fused activation act, else 0; res = 0).
__attribute__((export_name("bn_affine"))) void bn_affine(int C, const float *in, const float *fs, const float *fb, const float *x, const float *mean,
                                                         const float *a, const float *b, const float *k, const float *res, int act, float *out, float *sg,
                                                         int m0, int m1) {
  // Two copies, with and without sg (STORED a constant in each): the loops test nothing more for it.
  if (sg)
    affine(1, C, m0, m1, in, fs, fb, x, mean, a, b, k, res, act, out, sg);
  else
    affine(0, C, m0, m1, in, fs, fb, x, mean, a, b, k, res, act, out, sg);
}

// The forward's output scale gamma*invstd, as bn_moments computes it (the same float operation): for
// the backward of a fused ReLU, which recomputes its mask.
__attribute__((export_name("bn_scale"))) void bn_scale(int C, const float *gamma, const float *invstd, float *scale) {
  for (int c = 0; c < C; c++) scale[c] = gamma[c] * invstd[c];
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

// SiLU, y = x * sigmoid(x), on elements [i0, i1): the activation alone (EfficientNet's squeeze-and-
// excitation), with exp4's float operations as the fused one.
__attribute__((export_name("silu_forward"))) void silu_forward(const float *x, float *y, int i0, int i1) {
  int i = i0;
  for (; i + 4 <= i1; i += 4) wasm_v128_store(y + i, silu4(wasm_v128_load(x + i)));
  for (; i < i1; i++) y[i] = x[i] * sigmoid1(x[i]);
}

// SiLU's gradient from its input: dx = dy * silu'(x) on elements [i0, i1).
__attribute__((export_name("silu_backward"))) void silu_backward(const float *x, const float *dy, float *dx, int i0, int i1) {
  int i = i0;
  for (; i + 4 <= i1; i += 4) wasm_v128_store(dx + i, silu_grad4(wasm_v128_load(dy + i), wasm_v128_load(x + i)));
  for (; i < i1; i++) dx[i] = act_grad1(ACT_SILU, dy[i], x[i]);
}

// One SGD step in PyTorch's semantics on n weights: reads p, v and grad, writes the new p and v to p_out
// and v_out (new tensors: tfjs' tensors are immutable, and its XNNPACK operators cache packed weights by
// tensor), with float32 operations in the order tfjs runs optimizer.ts' ops (so the result is bit for bit
// the same):
//   g = grad (+ wd*p), v = mu*v + g, p = p - lr*(nesterov ? g + mu*v : v).
// Elements [i0, i1) only: elementwise, so the caller may split a large parameter over threads.
static inline __attribute__((always_inline)) void sgd_range(float lr, float mu, float wd, int decay, int nesterov, const float *p, const float *v,
                                                             const float *grad, float *p_out, float *v_out, int i0, int i1) {
  const v128_t lr4 = wasm_f32x4_splat(lr), mu4 = wasm_f32x4_splat(mu), wd4 = wasm_f32x4_splat(wd);
  int i = i0;
  for (; i + 4 <= i1; i += 4) {
    const v128_t pi = wasm_v128_load(p + i);
    v128_t g = wasm_v128_load(grad + i);
    if (decay) g = wasm_f32x4_add(g, wasm_f32x4_mul(wd4, pi));
    const v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(mu4, wasm_v128_load(v + i)), g);
    wasm_v128_store(v_out + i, vi);
    const v128_t step = nesterov ? wasm_f32x4_add(g, wasm_f32x4_mul(mu4, vi)) : vi;
    wasm_v128_store(p_out + i, wasm_f32x4_sub(pi, wasm_f32x4_mul(lr4, step)));
  }
  for (; i < i1; i++) {
    float g = grad[i];
    if (decay) g = g + wd * p[i];
    const float vi = mu * v[i] + g;
    v_out[i] = vi;
    const float step = nesterov ? g + mu * vi : vi;
    p_out[i] = p[i] - lr * step;
  }
}

__attribute__((export_name("sgd_update"))) void sgd_update(float lr, float mu, float wd, int decay, int nesterov, const float *p, const float *v,
                                                           const float *grad, float *p_out, float *v_out, int i0, int i1) {
  sgd_range(lr, mu, wd, decay, nesterov, p, v, grad, p_out, v_out, i0, i1);
}

// out = a + b elementwise (tensors of one shape), elements [i0, i1): float32 sums, bit for bit any other
// float32 add; split by elements, so the caller may run ranges on several threads.
__attribute__((export_name("add_arrays"))) void add_arrays(const float *a, const float *b, float *out, int i0, int i1) {
  int i = i0;
  for (; i + 4 <= i1; i += 4) wasm_v128_store(out + i, wasm_f32x4_add(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  for (; i < i1; i++) out[i] = a[i] + b[i];
}

// Every parameter of a model in one call: `table` holds SGD_ENTRY ints per parameter (the byte offsets of
// p, v, grad, p_out, v_out, then decay 0/1), `starts` count + 1 running sums of their sizes, so that the
// parameters laid end to end are one range [0, starts[count]). Elements [i0, i1) of that range only, each
// with the per-parameter update's operations (bit for bit its values), so the caller may split the whole
// model's update over threads in one call rather than a call per parameter.
#define SGD_ENTRY 6
__attribute__((export_name("sgd_entry_ints"))) int sgd_entry_ints(void) { return SGD_ENTRY; }
__attribute__((export_name("sgd_update_many"))) void sgd_update_many(float lr, float mu, float wd, int nesterov, int count, const unsigned *table,
                                                                     const int *starts, int i0, int i1) {
  for (int k = 0; k < count; k++) {
    const int s = starts[k], e = starts[k + 1];
    if (e <= i0) continue;
    if (s >= i1) break;
    const unsigned *t = table + SGD_ENTRY * k;
    sgd_range(lr, mu, wd, t[5], nesterov, (const float *)t[0], (const float *)t[1], (const float *)t[2], (float *)t[3], (float *)t[4],
              (i0 > s ? i0 : s) - s, (i1 < e ? i1 : e) - s);
  }
}

// out[n][c] = sum over the HW pixels of image n of a * b (NHWC, C channels a row): the gradient of a
// squeeze-excitation gate that scales the channels of x (a = dy, b = x). Float32 SIMD sums over blocks of
// MB pixels, joined in double in block order (as the BatchNorm sums). Images [n0, n1) only: images are
// independent, so the caller may split them over threads.
static inline void add_f64(v128_t *lo, v128_t *hi, v128_t s) {
  *lo = wasm_f64x2_add(*lo, wasm_f64x2_promote_low_f32x4(s));
  *hi = wasm_f64x2_add(*hi, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(s, s, 2, 3, 0, 1)));
}

// has_b: a compile-time constant at each call below (a * b, or a alone), so no test runs in the loops.
static inline __attribute__((always_inline)) void channel_sums(int has_b, int HW, int C, const float *a, const float *b, float *out, int n0, int n1) {
  const v128_t hw2 = wasm_f64x2_splat((double)HW);
  for (int n = n0; n < n1; n++) {
    const long base = (long)n * HW * C;
    int c = 0;
    for (; c + 4 * V <= C; c += 4 * V) {
      v128_t lo[V], hi[V];
      for (int v = 0; v < V; v++) lo[v] = hi[v] = wasm_f64x2_splat(0.0);
      for (int m0 = 0; m0 < HW; m0 += MB) {
        const int m1 = m0 + MB < HW ? m0 + MB : HW;
        v128_t s[V];
        for (int v = 0; v < V; v++) s[v] = wasm_f32x4_splat(0.0f);
        for (int m = m0; m < m1; m++)
          for (int v = 0; v < V; v++) {
            const long i = base + (long)m * C + c + 4 * v;
            s[v] = wasm_f32x4_add(s[v], has_b ? wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)) : wasm_v128_load(a + i));
          }
        for (int v = 0; v < V; v++) add_f64(&lo[v], &hi[v], s[v]);
      }
      for (int v = 0; v < V; v++)
      {
        if (!has_b) lo[v] = wasm_f64x2_div(lo[v], hw2), hi[v] = wasm_f64x2_div(hi[v], hw2);
        wasm_v128_store(out + (long)n * C + c + 4 * v, wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo[v]), wasm_f32x4_demote_f64x2_zero(hi[v]), 0, 1, 4, 5));
      }
    }
    for (; c + 4 <= C; c += 4) {
      v128_t lo = wasm_f64x2_splat(0.0), hi = lo;
      for (int m0 = 0; m0 < HW; m0 += MB) {
        const int m1 = m0 + MB < HW ? m0 + MB : HW;
        v128_t s = wasm_f32x4_splat(0.0f);
        for (int m = m0; m < m1; m++) {
          const long i = base + (long)m * C + c;
          s = wasm_f32x4_add(s, has_b ? wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)) : wasm_v128_load(a + i));
        }
        add_f64(&lo, &hi, s);
      }
      if (!has_b) lo = wasm_f64x2_div(lo, hw2), hi = wasm_f64x2_div(hi, hw2);
      wasm_v128_store(out + (long)n * C + c, wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi), 0, 1, 4, 5));
    }
    for (; c < C; c++) {
      double acc = 0.0;
      for (int m0 = 0; m0 < HW; m0 += MB) {
        const int m1 = m0 + MB < HW ? m0 + MB : HW;
        float s = 0.0f;
        for (int m = m0; m < m1; m++) s += has_b ? a[base + (long)m * C + c] * b[base + (long)m * C + c] : a[base + (long)m * C + c];
        acc += s;
      }
      out[(long)n * C + c] = (float)(has_b ? acc : acc / HW);
    }
  }
}


__attribute__((export_name("channel_dot"))) void channel_dot(int HW, int C, const float *a, const float *b, float *out, int n0, int n1) {
  channel_sums(1, HW, C, a, b, out, n0, n1);
}

// out[n][c] = the mean over the HW pixels of image n of a (the double sum divided by HW): squeeze-and-excitation's pooling.
__attribute__((export_name("channel_mean"))) void channel_mean(int HW, int C, const float *a, float *out, int n0, int n1) {
  channel_sums(0, HW, C, a, 0, out, n0, n1);
}

// y = x * g[n][c] (+ add[n][c] * k where add is given) over the HW pixels of images [n0, n1) (NHWC): squeeze-and-
// excitation's channel scaling forward (x, the gate g), and its input gradient (x = dy, add = the pooled
// mean's gradient, k = 1/HW: dy*g + dmean/HW).
__attribute__((export_name("channel_scale"))) void channel_scale(int HW, int C, const float *x, const float *g, const float *add, float k, float *y, int n0, int n1) {
  const v128_t k4 = wasm_f32x4_splat(k);
  for (int n = n0; n < n1; n++) {
    const float *gn = g + (long)n * C, *an = add ? add + (long)n * C : 0;
    for (int m = 0; m < HW; m++) {
      const long row = ((long)n * HW + m) * C;
      int c = 0;
      for (; c + 4 <= C; c += 4) {
        v128_t v = wasm_f32x4_mul(wasm_v128_load(x + row + c), wasm_v128_load(gn + c));
        if (an) v = wasm_f32x4_add(v, wasm_f32x4_mul(wasm_v128_load(an + c), k4));
        wasm_v128_store(y + row + c, v);
      }
      for (; c < C; c++) y[row + c] = an ? x[row + c] * gn[c] + an[c] * k : x[row + c] * gn[c];
    }
  }
}

// pre = z + bias[c] (stored where pre is given), out = act(pre) (ACT_SILU or ACT_SIGMOID) on `rows` rows of C:
// squeeze-and-excitation's two small layers after their products.
__attribute__((export_name("bias_activation"))) void bias_activation(int rows, int C, const float *z, const float *bias, int act, float *pre, float *out) {
  for (int r = 0; r < rows; r++) {
    const long row = (long)r * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      const v128_t v = wasm_f32x4_add(wasm_v128_load(z + row + c), wasm_v128_load(bias + c));
      if (pre) wasm_v128_store(pre + row + c, v);
      wasm_v128_store(out + row + c, act == ACT_SIGMOID ? sigmoid4(v) : silu4(v));
    }
    for (; c < C; c++) {
      const float v = z[row + c] + bias[c];
      if (pre) pre[row + c] = v;
      out[row + c] = act == ACT_SIGMOID ? sigmoid1(v) : v * sigmoid1(v);
    }
  }
}

// Squeeze-and-excitation's small steps (at most a few tens of thousands of elements: not split).
// out = dg * (g * (1 - g)) on n elements: a sigmoid's gradient from its output g (tfjs' operations and order).
__attribute__((export_name("sigmoid_backward"))) void sigmoid_backward(int n, const float *g, const float *dg, float *out) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gi = wasm_v128_load(g + i);
    wasm_v128_store(out + i, wasm_f32x4_mul(wasm_v128_load(dg + i), wasm_f32x4_mul(gi, wasm_f32x4_sub(one, gi))));
  }
  for (; i < n; i++) out[i] = dg[i] * (g[i] * (1.0f - g[i]));
}

// out[c] = the sum over `rows` rows of x[r][c], in double, rounded once: a bias's gradient.
__attribute__((export_name("column_sum"))) void column_sum(int rows, int C, const float *x, float *out) {
  for (int c = 0; c < C; c++) {
    double s = 0.0;
    for (int r = 0; r < rows; r++) s += x[(long)r * C + c];
    out[c] = (float)s;
  }
}

// out = running * keep + batch * scale on n elements, each product and the sum rounded to float32 (tfjs'
// two multiplies and add): a BatchNorm running estimate's update.
__attribute__((export_name("running_update"))) void running_update(int n, float keep, float scale, const float *running, const float *batch, float *out) {
  const v128_t k4 = wasm_f32x4_splat(keep), s4 = wasm_f32x4_splat(scale);
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(running + i), k4), wasm_f32x4_mul(wasm_v128_load(batch + i), s4)));
  for (; i < n; i++) out[i] = running[i] * keep + batch[i] * scale;
}

// Every running estimate of a model in one call: `table` holds 4 ints per estimate (the byte offsets of
// running, batch and out, then n), `scales` a float per estimate; each as running_update (out may be running:
// every element is read before it is written at the same index).
__attribute__((export_name("running_update_many"))) void running_update_many(int count, float keep, const unsigned *table, const float *scales) {
  for (int k = 0; k < count; k++) {
    const unsigned *t = table + 4 * k;
    running_update((int)t[3], keep, scales[k], (const float *)t[0], (const float *)t[1], (float *)t[2]);
  }
}

extern unsigned char __heap_base;
__attribute__((export_name("heap_base"))) unsigned int heap_base(void) { return (unsigned int)&__heap_base; }
