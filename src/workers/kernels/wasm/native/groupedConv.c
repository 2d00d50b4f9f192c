// Grouped 2-D convolution for tfjs' WASM backend: forward, input gradient and filter gradient, NHWC,
// with tfjs' compact grouped filter [kh, kw, cin/groups, cout]. Group g maps input channels
// [g*cinG, (g+1)*cinG) to output channels [g*coutG, (g+1)*coutG). Symmetric zero padding `pad`,
// square kernel and stride.
//
// Each kernel is a direct convolution vectorised with WASM SIMD128 (4 floats) along the channels of
// one group that its innermost loop writes: output channels (forward, filter gradient) or input
// channels (input gradient). Tails that are not a multiple of 4 run scalar. Where a group's channels
// are multiples of 4, register blocks (several output pixels, or several input channels, at once)
// keep several independent chains of additions in flight: 2-3x the one-pixel loops for ResNeXt's
// 4-channel groups (bench/groupedConvKernels.bench.ts). All pointers are byte
// offsets into this module's memory (the caller copies tensors in and out); see the exports for ranges.
//
// Build: `npm run build:kernels` (scripts/build-kernels.mjs), clang --target=wasm32 -msimd128, and again with
// -mrelaxed-simd (simd.h).
#include "simd.h"

// The multiply-add of a register block V vectors wide: fused (relaxed build) from two vectors up, where
// the block has enough independent accumulator chains; one-vector blocks (4-channel groups, tails) stay
// unfused (simd.h). An element's operations depend on its channel's place in its group and on its
// pixel's place in the row, never on the thread split. (The depthwise filter gradient, split by
// channels, fuses in both its blocks: which block takes a channel depends on where its range starts.)
#define MADD_V(V, acc, a, b) ((V) >= 2 ? madd(acc, a, b) : madd_unfused(acc, a, b))

typedef struct {
  int n, h, w, cin, ho, wo, cout, groups, k, stride, pad;
} Geometry;

static inline int cin_g(const Geometry *g) { return g->cin / g->groups; }
static inline int cout_g(const Geometry *g) { return g->cout / g->groups; }

static void zero(float *p, int count) {
  int i = 0;
  v128_t z = wasm_f32x4_splat(0.0f);
  for (; i + 4 <= count; i += 4) wasm_v128_store(p + i, z);
  for (; i < count; i++) p[i] = 0.0f;
}

// The register-blocked core of the forward pass and of the stride-1 input gradient, for a block of P
// output pixels along a row whose every tap lies inside the input (no bounds to check), and 4*V
// output channels of one group. Each of the P*V accumulators is one independent chain of additions:
// one accumulator per pixel (the direct loop below) is bound by the latency of its additions, several
// keep the SIMD units busy. The float operations per output element are the direct loop's: zero, then
// for each tap in order (ky, then kx) and each reduction channel r in order, acc += in * w.
//
//   in:   the input scalar of pixel p, tap (ky, kx), reduction channel r is
//         in[p * pixel_step + ky * row_step + kx * col_step + r]
//   w:    the weight vector for tap (ky, kx), channel r, output vector v is
//         w[(ky * k + kx) * tap_step + r * r_step + 4 * v]
//   out:  pixel p's output vector v is out[p * out_step + 4 * v]
#define DEFINE_BLOCK(NAME, P, V)                                                                                          \
  static inline __attribute__((always_inline)) void NAME(const float *in, int pixel_step, int row_step, int col_step, int k, int reduce, const float *w, \
                          int tap_step, int r_step, float *out, int out_step) {                                          \
    v128_t acc[P][V];                                                                                                     \
    _Pragma("clang loop unroll(full)") for (int p = 0; p < P; p++)                                                                                        \
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[p][v] = wasm_f32x4_splat(0.0f);                                                     \
    _Pragma("clang loop unroll(disable)") for (int ky = 0; ky < k; ky++)                                                  \
      for (int kx = 0; kx < k; kx++) {                                                                                    \
        const float *it = in + ky * row_step + kx * col_step;                                                            \
        const float *wt = w + (ky * k + kx) * tap_step;                                                                  \
        for (int r = 0; r < reduce; r++) {                                                                                \
          v128_t wv[V];                                                                                                   \
          _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) wv[v] = wasm_v128_load(wt + r * r_step + 4 * v);                                   \
          _Pragma("clang loop unroll(full)") for (int p = 0; p < P; p++) {                                                                                   \
            const v128_t s = wasm_v128_load32_splat(it + p * pixel_step + r);                                             \
            _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[p][v] = MADD_V(V, acc[p][v], s, wv[v]);                 \
          }                                                                                                               \
        }                                                                                                                 \
      }                                                                                                                   \
    _Pragma("clang loop unroll(full)") for (int p = 0; p < P; p++)                                                                                        \
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) wasm_v128_store(out + p * out_step + 4 * v, acc[p][v]);                                 \
  }
DEFINE_BLOCK(block_8x1, 8, 1)
DEFINE_BLOCK(block_4x2, 4, 2)
DEFINE_BLOCK(block_1x1, 1, 1)

// One output row's pixels [x0, x1) (all taps inside the input), every group, by the blocks above:
// 8 pixels x 4 channels, or 4 pixels x 8 channels where a group's outputs allow; leftover pixels as
// one more block ending at x1 (it computes some pixels twice, writing the same values: blocks store,
// they do not add), or one at a time in a row narrower than a block. `outs` (the group's output channels, a multiple of 4) are split in vectors of 8, then 4.
static inline __attribute__((always_inline)) void blocked_row_with(const float *in, int pixel_step, int row_step, int col_step, int k,
                                                                    int groups, int in_group_step, int reduce, const float *w, int tap_step,
                                                                    int r_step, int w_group_step, float *out, int out_step, int outs, int x0,
                                                                    int x1) {
  for (int g = 0; g < groups; g++) {
    const float *ig = in + g * in_group_step;
    const float *wg = w + g * w_group_step;
    float *og = out + g * outs;
    int c = 0;
    for (; c + 8 <= outs; c += 8) {
      int px = x0;
      for (; px + 4 <= x1; px += 4)
        block_4x2(ig + px * pixel_step, pixel_step, row_step, col_step, k, reduce, wg + c, tap_step, r_step, og + px * out_step + c, out_step);
      if (px < x1 && x1 - x0 >= 4) {  // the leftover pixels as the row's last 4: some again, the same values
        px = x1 - 4;
        block_4x2(ig + px * pixel_step, pixel_step, row_step, col_step, k, reduce, wg + c, tap_step, r_step, og + px * out_step + c, out_step);
        px = x1;
      }
      for (; px < x1; px++) {
        block_1x1(ig + px * pixel_step, pixel_step, row_step, col_step, k, reduce, wg + c, tap_step, r_step, og + px * out_step + c, out_step);
        block_1x1(ig + px * pixel_step, pixel_step, row_step, col_step, k, reduce, wg + c + 4, tap_step, r_step, og + px * out_step + c + 4, out_step);
      }
    }
    for (; c + 4 <= outs; c += 4) {
      int px = x0;
      for (; px + 8 <= x1; px += 8)
        block_8x1(ig + px * pixel_step, pixel_step, row_step, col_step, k, reduce, wg + c, tap_step, r_step, og + px * out_step + c, out_step);
      if (px < x1 && x1 - x0 >= 8) {
        px = x1 - 8;
        block_8x1(ig + px * pixel_step, pixel_step, row_step, col_step, k, reduce, wg + c, tap_step, r_step, og + px * out_step + c, out_step);
        px = x1;
      }
      for (; px < x1; px++)
        block_1x1(ig + px * pixel_step, pixel_step, row_step, col_step, k, reduce, wg + c, tap_step, r_step, og + px * out_step + c, out_step);
    }
  }
}

// blocked_row_with, compiled apart for 3x3 taps over 4 channels (ResNeXt's narrowest groups), where
// unrolling the reduction pays. (Unrolling wider reductions too made the 8- and 16-channel groups up
// to 2x slower: the straight-line code outgrew what the engine compiles well.)
static void blocked_row(const float *in, int pixel_step, int row_step, int col_step, int k, int groups, int in_group_step,
                        int reduce, const float *w, int tap_step, int r_step, int w_group_step, float *out, int out_step, int outs,
                        int x0, int x1) {
#define BLOCKED_ROW(K, R) \
  blocked_row_with(in, pixel_step, row_step, col_step, K, groups, in_group_step, R, w, tap_step, r_step, w_group_step, out, out_step, outs, x0, x1)
  if (k == 3 && reduce == 4) BLOCKED_ROW(3, 4);
  else BLOCKED_ROW(k, reduce);
#undef BLOCKED_ROW
}

static inline __attribute__((always_inline)) void forward_pixel(const Geometry *G, const float *x, const float *w, float *y, int n, int oy, int ox);

// Image n of src ([h, w, c] images) into dst with a zero border of `pad` pixels ([h + 2 pad, w + 2 pad, c] images).
static void pad_image(const float *src, float *dst, int n, int h, int w, int c, int pad) {
  const int hp = h + 2 * pad, wp = w + 2 * pad;
  const float *s = src + (long)n * h * w * c;
  float *d = dst + (long)n * hp * wp * c;
  zero(d, pad * wp * c);
  for (int y = 0; y < h; y++) {
    float *row = d + (long)(pad + y) * wp * c;
    zero(row, pad * c);
    const float *from = s + (long)y * w * c;
    float *to = row + pad * c;
    int i = 0;
    for (; i + 4 <= w * c; i += 4) wasm_v128_store(to + i, wasm_v128_load(from + i));
    for (; i < w * c; i++) to[i] = from[i];
    zero(row + (long)(pad + w) * c, pad * c);
  }
  zero(d + (long)(pad + h) * wp * c, pad * wp * c);
}

// Whether the forward takes the register blocks, and the input gradient: see forward and backprop_input.
// Measured (bench/groupedConvKernels.bench.ts, one thread): with every pixel in the blocks (the zero-bordered
// copy) the forward's blocks beat the one-pixel loop for groups of 4, 8 and 16 output channels, strided
// layers included (1.1-1.4x); without the copy the border pixels and leftovers had cost up to half the time.
static int forward_blocked(const Geometry *G) { return (cout_g(G) == 4 || cout_g(G) == 8 || cout_g(G) == 16) && cin_g(G) > 1; }
static int input_blocked(const Geometry *G) { return G->stride == 1 && cin_g(G) % 4 == 0 && !(cin_g(G) == 1 && cout_g(G) == 1); }

// y[n, oy, ox, g*coutG + co] = sum_{ky, kx, ci} x[n, oy*s - p + ky, ox*s - p + kx, g*cinG + ci] * w[ky, kx, ci, g*coutG + co]
// Layers the blocks take (forward_blocked) with `padded` (scratch of the batch's size with a zero
// border: grouped_conv_forward_scratch) copy their images there first, and every output pixel goes
// through blocked_row: a border tap adds x*w = 0 where the one-pixel loop skips it, the same sum (for
// finite weights). Other layers, or no scratch, one pixel at a time (forward_pixel).
static inline __attribute__((always_inline)) void forward(const Geometry *G, const float *x, const float *w, float *y, int n0, int n1, float *padded) {
  const int cg = cin_g(G), og = cout_g(G), k = G->k, s = G->stride;
  if (forward_blocked(G) && padded) {
    const int hp = G->h + 2 * G->pad, wp = G->w + 2 * G->pad;
    for (int n = n0; n < n1; n++) {
      pad_image(x, padded, n, G->h, G->w, G->cin, G->pad);
      for (int oy = 0; oy < G->ho; oy++) {
        const float *in = padded + ((long)n * hp + oy * s) * wp * G->cin;
        float *out = y + ((long)n * G->ho + oy) * G->wo * G->cout;
        blocked_row(in, s * G->cin, wp * G->cin, G->cin, k, G->groups, cg, cg, w, cg * G->cout, G->cout, og, out, G->cout, og, 0, G->wo);
      }
    }
    return;
  }
  for (int n = n0; n < n1; n++)
    for (int oy = 0; oy < G->ho; oy++)
      for (int ox = 0; ox < G->wo; ox++) forward_pixel(G, x, w, y, n, oy, ox);
}

// out[o] += sum over r of in[r] * w[r * w_row + o], for o in [0, outs): one pixel's group, 8 then 4
// outputs at a time in registers, the tail in scalar. The one-pixel forward (out: y's group, in: x's,
// w_row = cout) and input gradient (out: dx's group, in: dy's, the transposed filter, w_row = cinG).
static inline __attribute__((always_inline)) void accumulate_group(float *out, const float *in, const float *w, int outs, int reduce, int w_row) {
  const int vec = outs & ~3;
  int o = 0;
  for (; o + 8 <= vec; o += 8) {
    v128_t a0 = wasm_v128_load(out + o), a1 = wasm_v128_load(out + o + 4);
    for (int r = 0; r < reduce; r++) {
      const v128_t s = wasm_f32x4_splat(in[r]);
      const float *wr = w + (long)r * w_row + o;
      a0 = MADD_V(2, a0, s, wasm_v128_load(wr));
      a1 = MADD_V(2, a1, s, wasm_v128_load(wr + 4));
    }
    wasm_v128_store(out + o, a0);
    wasm_v128_store(out + o + 4, a1);
  }
  for (; o + 4 <= vec; o += 4) {
    v128_t a0 = wasm_v128_load(out + o);
    for (int r = 0; r < reduce; r++) a0 = MADD_V(1, a0, wasm_f32x4_splat(in[r]), wasm_v128_load(w + (long)r * w_row + o));
    wasm_v128_store(out + o, a0);
  }
  for (; o < outs; o++) {
    float a = out[o];
    for (int r = 0; r < reduce; r++) a += in[r] * w[(long)r * w_row + o];
    out[o] = a;
  }
}

// One output pixel of the forward pass, every tap checked against the input's bounds.
static inline __attribute__((always_inline)) void forward_pixel(const Geometry *G, const float *x, const float *w, float *y, int n, int oy, int ox) {
  const int cg = cin_g(G), og = cout_g(G), k = G->k;
  float *yp = y + (((long)n * G->ho + oy) * G->wo + ox) * G->cout;
  zero(yp, G->cout);
  for (int ky = 0; ky < k; ky++) {
    const int iy = oy * G->stride - G->pad + ky;
    if (iy < 0 || iy >= G->h) continue;
    for (int kx = 0; kx < k; kx++) {
      const int ix = ox * G->stride - G->pad + kx;
      if (ix < 0 || ix >= G->w) continue;
      const float *xp = x + (((long)n * G->h + iy) * G->w + ix) * G->cin;
      const float *wt = w + (long)(ky * k + kx) * cg * G->cout;
      if (cg == 1 && og == 1) {  // depthwise: channel c reads channel c, vectorised across channels
        int c = 0;
        for (; c + 4 <= G->cout; c += 4)
          wasm_v128_store(yp + c, madd(wasm_v128_load(yp + c), wasm_v128_load(xp + c), wasm_v128_load(wt + c)));
        for (; c < G->cout; c++) yp[c] += xp[c] * wt[c];
        continue;
      }
      for (int g = 0; g < G->groups; g++) accumulate_group(yp + g * og, xp + g * cg, wt + g * og, og, cg, G->cout);
    }
  }
}

// wt[ky, kx, g, co, ci] = w[ky, kx, ci, g*coutG + co]: the filter with each group's block transposed,
// so that the input gradient reads input channels contiguously.
static void transpose_filter(const Geometry *G, const float *w, float *wt) {
  const int cg = cin_g(G), og = cout_g(G), taps = G->k * G->k;
  for (int t = 0; t < taps; t++)
    for (int g = 0; g < G->groups; g++)
      for (int co = 0; co < og; co++)
        for (int ci = 0; ci < cg; ci++)
          wt[(((long)t * G->groups + g) * og + co) * cg + ci] = w[((long)t * cg + ci) * G->cout + g * og + co];
}

// One input pixel of the input gradient (below), every tap checked against dy's bounds.
static inline __attribute__((always_inline)) void backprop_input_pixel(const Geometry *G, const float *dy, const float *wt, float *dx, int n,
                                                                         int iy, int ix) {
  const int cg = cin_g(G), og = cout_g(G), k = G->k, s = G->stride;
  float *xp = dx + (((long)n * G->h + iy) * G->w + ix) * G->cin;
  zero(xp, G->cin);
  for (int ky = 0; ky < k; ky++) {
    const int ty = iy + G->pad - ky;
    if (ty < 0 || ty % s != 0) continue;
    const int oy = ty / s;
    if (oy >= G->ho) continue;
    for (int kx = 0; kx < k; kx++) {
      const int tx = ix + G->pad - kx;
      if (tx < 0 || tx % s != 0) continue;
      const int ox = tx / s;
      if (ox >= G->wo) continue;
      const float *dp = dy + (((long)n * G->ho + oy) * G->wo + ox) * G->cout;
      const float *wtap = wt + (long)(ky * k + kx) * G->groups * og * cg;
      if (cg == 1 && og == 1) {  // depthwise (the transposed filter is the filter)
        int c = 0;
        for (; c + 4 <= G->cin; c += 4)
          wasm_v128_store(xp + c, madd(wasm_v128_load(xp + c), wasm_v128_load(dp + c), wasm_v128_load(wtap + c)));
        for (; c < G->cin; c++) xp[c] += dp[c] * wtap[c];
        continue;
      }
      for (int g = 0; g < G->groups; g++) accumulate_group(xp + g * cg, dp + g * og, wtap + (long)g * og * cg, cg, og, cg);
    }
  }
}

// dx[n, iy, ix, g*cinG + ci] = sum_{ky, kx, co} dy[n, oy, ox, g*coutG + co] * w[ky, kx, ci, g*coutG + co]
// over the (oy, ox) with oy*s - p + ky = iy, ox*s - p + kx = ix. `wt` is the filter transposed by
// transpose_filter (written once, before the batch ranges run). With stride 1 this is a convolution
// of dy by the flipped taps: layers the blocks take (input_blocked) with `padded` (scratch:
// grouped_conv_backprop_input_scratch) copy dy with a border of k - 1 - pad zeros first, and every
// input pixel goes through blocked_row (a border tap adds 0, as in the forward). Strided layers, or no
// scratch, one pixel at a time by backprop_input_pixel.
static inline __attribute__((always_inline)) void backprop_input(const Geometry *G, const float *dy, const float *wt, float *dx, int n0,
                                                                   int n1, float *padded) {
  const int cg = cin_g(G), og = cout_g(G), k = G->k;
  const int q = k - 1 - G->pad;
  if (input_blocked(G) && padded && q >= 0) {
    const int hp = G->ho + 2 * q, wp = G->wo + 2 * q;
    for (int n = n0; n < n1; n++) {
      pad_image(dy, padded, n, G->ho, G->wo, G->cout, q);
      for (int iy = 0; iy < G->h; iy++) {
        // Tap (ky, kx) of input pixel (iy, ix) reads padded dy at (iy + k - 1 - ky, ix + k - 1 - kx).
        const float *in = padded + (((long)n * hp + iy + k - 1) * wp + k - 1) * G->cout;
        float *out = dx + ((long)n * G->h + iy) * G->w * G->cin;
        blocked_row(in, G->cout, -wp * G->cout, -G->cout, k, G->groups, og, og, wt, G->groups * og * cg, cg, og * cg, out, G->cin, cg, 0, G->w);
      }
    }
    return;
  }
  for (int n = n0; n < n1; n++)
    for (int iy = 0; iy < G->h; iy++)
      for (int ix = 0; ix < G->w; ix++) backprop_input_pixel(G, dy, wt, dx, n, iy, ix);
}

// Output pixels whose filter-gradient terms are summed before they join the total: float32 sums of
// many terms drift (a sum over all N*Ho*Wo pixels in one accumulator missed 1e-5 at 512 terms).
#define FILTER_CHUNK 16

// Columns [c0, c1) of `rows` rows of `cols` floats set to zero.
static void zero_cols(float *p, int rows, int cols, int c0, int c1) {
  for (int r = 0; r < rows; r++) zero(p + (long)r * cols + c0, c1 - c0);
}

// The register-blocked filter gradient: for one tap, one group, CI of its input channels and 4*V of
// its output channels, the sum over a run of `count` output pixels of x (per input channel) times dy
// (per output-channel vector), in CI*V independent accumulators, then added to `total`. Runs are at
// most FILTER_CHUNK pixels of one output row (float32 sums of many terms drift: see above), so each
// total element gets, per run, the run's sum of its terms in pixel order: the float operations do
// not depend on how the work is split.
#define DEFINE_FILTER_BLOCK(NAME, CI, V)                                                                                  \
  static inline __attribute__((always_inline)) void NAME(const float *x, int x_step, const float *dy, int dy_step,         \
                                                         int count, float *total, int total_row) {                         \
    v128_t acc[CI][V];                                                                                                    \
    _Pragma("clang loop unroll(full)") for (int i = 0; i < CI; i++)                                                       \
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[i][v] = wasm_f32x4_splat(0.0f);                 \
    for (int p = 0; p < count; p++) {                                                                                     \
      v128_t d[V];                                                                                                        \
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) d[v] = wasm_v128_load(dy + p * dy_step + 4 * v);    \
      _Pragma("clang loop unroll(full)") for (int i = 0; i < CI; i++) {                                                   \
        const v128_t s = wasm_v128_load32_splat(x + p * x_step + i);                                                      \
        _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[i][v] = MADD_V(V, acc[i][v], s, d[v]); \
      }                                                                                                                   \
    }                                                                                                                     \
    _Pragma("clang loop unroll(full)") for (int i = 0; i < CI; i++)                                                       \
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) {                                                    \
        float *t = total + i * total_row + 4 * v;                                                                         \
        wasm_v128_store(t, wasm_f32x4_add(wasm_v128_load(t), acc[i][v]));                                                 \
      }                                                                                                                   \
  }
DEFINE_FILTER_BLOCK(filter_block_4x2, 4, 2)
DEFINE_FILTER_BLOCK(filter_block_4x1, 4, 1)
DEFINE_FILTER_BLOCK(filter_block_1x2, 1, 2)
DEFINE_FILTER_BLOCK(filter_block_1x1, 1, 1)

// The last 1-3 output channels of a group whose count is not a multiple of 4 (but at least 4): the
// block above on the group's last 4 channels, of which only the last `rem` lanes are added to `total`
// (`mask`; the other lanes' totals are kept as they are, bit for bit). A scalar loop there was one
// chain of additions per element and took most of the time of 18-channel layers (ResNet twins).
#define DEFINE_FILTER_TAIL(NAME, CI)                                                                                      \
  static inline __attribute__((always_inline)) void NAME(const float *x, int x_step, const float *dy, int dy_step,         \
                                                         int count, float *total, int total_row, v128_t mask) {            \
    v128_t acc[CI];                                                                                                       \
    _Pragma("clang loop unroll(full)") for (int i = 0; i < CI; i++) acc[i] = wasm_f32x4_splat(0.0f);                     \
    for (int p = 0; p < count; p++) {                                                                                     \
      const v128_t d = wasm_v128_load(dy + p * dy_step);                                                                  \
      _Pragma("clang loop unroll(full)") for (int i = 0; i < CI; i++) acc[i] = MADD_V(1, acc[i], wasm_v128_load32_splat(x + p * x_step + i), d); \
    }                                                                                                                     \
    _Pragma("clang loop unroll(full)") for (int i = 0; i < CI; i++) {                                                     \
      float *t = total + i * total_row;                                                                                   \
      const v128_t old = wasm_v128_load(t);                                                                               \
      wasm_v128_store(t, wasm_v128_bitselect(wasm_f32x4_add(old, acc[i]), old, mask));                                   \
    }                                                                                                                     \
  }
DEFINE_FILTER_TAIL(filter_tail_4, 4)
DEFINE_FILTER_TAIL(filter_tail_1, 1)

// The same for one input channel and one output channel (the tails of groups whose channel counts
// are not multiples of 4), in scalar float32 with the same order of operations.
static inline __attribute__((always_inline)) void filter_scalar(const float *x, int x_step, const float *dy, int dy_step, int count, float *total) {
  float acc = 0.0f;
  for (int p = 0; p < count; p++) acc = acc + x[p * x_step] * dy[p * dy_step];
  *total = *total + acc;
}

// Input channels [ci0, ci0 + cn) (cn <= 4) of group g against all its output channels, for one run.
static inline __attribute__((always_inline)) void filter_run(const float *xa, int x_step, const float *da, int dy_step, int count, float *tap,
                                                             int cout, int og, int cn) {
  int co = 0;
  if (cn == 4) {
    for (; co + 8 <= og; co += 8) filter_block_4x2(xa, x_step, da + co, dy_step, count, tap + co, cout);
    for (; co + 4 <= og; co += 4) filter_block_4x1(xa, x_step, da + co, dy_step, count, tap + co, cout);
  } else {
    for (int i = 0; i < cn; i++) {
      int c = 0;
      for (; c + 8 <= og; c += 8) filter_block_1x2(xa + i, x_step, da + c, dy_step, count, tap + (long)i * cout + c, cout);
      for (; c + 4 <= og; c += 4) filter_block_1x1(xa + i, x_step, da + c, dy_step, count, tap + (long)i * cout + c, cout);
    }
    co = og & ~3;
  }
  if (co < og && og >= 4) {
    // Lanes 4 - (og - co) .. 3 of the group's last 4 channels: those past co.
    const v128_t mask = wasm_i32x4_gt(wasm_i32x4_make(0, 1, 2, 3), wasm_i32x4_splat(3 - (og - co)));
    if (cn == 4)
      filter_tail_4(xa, x_step, da + og - 4, dy_step, count, tap + og - 4, cout, mask);
    else
      for (int i = 0; i < cn; i++) filter_tail_1(xa + i, x_step, da + og - 4, dy_step, count, tap + (long)i * cout + og - 4, cout, mask);
    return;
  }
  for (; co < og; co++)
    for (int i = 0; i < cn; i++) filter_scalar(xa + i, x_step, da + co, dy_step, count, tap + (long)i * cout + co);
}

// The output columns ox of [c0, c1) whose input column ox*s - pad + kx lies in [0, w), as [*a, *b);
// whether there are any.
static inline __attribute__((always_inline)) int tap_columns(const Geometry *G, int kx, int c0, int c1, int *a, int *b) {
  const int s = G->stride;
  *a = G->pad - kx > 0 ? (G->pad - kx + s - 1) / s : 0;
  *b = G->w - 1 + G->pad - kx >= 0 ? (G->w - 1 + G->pad - kx) / s + 1 : 0;
  if (*a < c0) *a = c0;
  if (*b > c1) *b = c1;
  return *a < *b;
}

// The filter gradient of work units [u0, u1): unit u is group u / blocks and that group's input
// channels [4*(u % blocks), +4) (blocks = ceil(cinG / 4)). Units write disjoint parts of `total`.
static inline __attribute__((always_inline)) void blocked_backprop_filter(const Geometry *G, const float *x, const float *dy, float *total,
                                                                            int u0, int u1) {
  const int cg = cin_g(G), og = cout_g(G), k = G->k, s = G->stride;
  const int blocks = (cg + 3) / 4;
  for (int u = u0; u < u1; u++) {
    const int g = u / blocks, ci = 4 * (u % blocks), cn = cg - ci < 4 ? cg - ci : 4;
    for (int t = 0; t < k * k; t++)
      for (int i = 0; i < cn; i++) zero(total + ((long)t * cg + ci + i) * G->cout + g * og, og);
  }
  for (int n = 0; n < G->n; n++)
    for (int oy = 0; oy < G->ho; oy++)
      for (int c0 = 0; c0 < G->wo; c0 += FILTER_CHUNK) {
        const int c1 = c0 + FILTER_CHUNK < G->wo ? c0 + FILTER_CHUNK : G->wo;
        const float *dy_row = dy + ((long)n * G->ho + oy) * G->wo * G->cout;
        for (int ky = 0; ky < k; ky++) {
          const int iy = oy * s - G->pad + ky;
          if (iy < 0 || iy >= G->h) continue;
          const float *x_row = x + ((long)n * G->h + iy) * G->w * G->cin;
          for (int kx = 0; kx < k; kx++) {
            int a, b;
            if (!tap_columns(G, kx, c0, c1, &a, &b)) continue;
            const float *xa = x_row + (long)(a * s - G->pad + kx) * G->cin;
            const float *da = dy_row + (long)a * G->cout;
            float *tap = total + (long)(ky * k + kx) * cg * G->cout;
            for (int u = u0; u < u1; u++) {
              const int g = u / blocks, ci = 4 * (u % blocks), cn = cg - ci < 4 ? cg - ci : 4;
              filter_run(xa + g * cg + ci, s * G->cin, da + g * og, G->cout, b - a, tap + (long)ci * G->cout + g * og, G->cout, og, cn);
            }
          }
        }
      }
}

// The depthwise filter gradient's block: V vectors of channels (x and dy read the same channels), the
// sum over a run of `count` output pixels of x·dy in V accumulators, then added to `total`: two loads
// per vector of multiply-adds, the partial sums in registers.
#define DEFINE_DW_FILTER_BLOCK(NAME, V)                                                                                   \
  static inline __attribute__((always_inline)) void NAME(const float *x, int x_step, const float *dy, int dy_step,         \
                                                         int count, float *total) {                                        \
    v128_t acc[V];                                                                                                        \
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[v] = wasm_f32x4_splat(0.0f);                      \
    for (int p = 0; p < count; p++)                                                                                       \
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++)                                                      \
        acc[v] = madd(acc[v], wasm_v128_load(x + p * x_step + 4 * v), wasm_v128_load(dy + p * dy_step + 4 * v)); \
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++)                                                        \
      wasm_v128_store(total + 4 * v, wasm_f32x4_add(wasm_v128_load(total + 4 * v), acc[v]));                             \
  }
DEFINE_DW_FILTER_BLOCK(dw_filter_block_4, 4)
DEFINE_DW_FILTER_BLOCK(dw_filter_block_1, 1)

// dw[ky, kx, c, 0] = sum_{n, oy, ox} x[n, oy*s - p + ky, ox*s - p + kx, c] * dy[n, oy, ox, c] for a
// depthwise filter (groups = channels), channels [c0, c1): in runs of at most FILTER_CHUNK pixels of one
// output row per tap, as blocked_backprop_filter, 16 channels at a time, then 4, then one.
static inline __attribute__((always_inline)) void depthwise_backprop_filter(const Geometry *G, const float *x, const float *dy, float *total,
                                                                              int c0, int c1) {
  const int k = G->k, s = G->stride;
  zero_cols(total, k * k, G->cout, c0, c1);
  for (int n = 0; n < G->n; n++)
    for (int oy = 0; oy < G->ho; oy++)
      for (int p0 = 0; p0 < G->wo; p0 += FILTER_CHUNK) {
        const int p1 = p0 + FILTER_CHUNK < G->wo ? p0 + FILTER_CHUNK : G->wo;
        const float *dy_row = dy + ((long)n * G->ho + oy) * G->wo * G->cout;
        for (int ky = 0; ky < k; ky++) {
          const int iy = oy * s - G->pad + ky;
          if (iy < 0 || iy >= G->h) continue;
          const float *x_row = x + ((long)n * G->h + iy) * G->w * G->cin;
          for (int kx = 0; kx < k; kx++) {
            int a, b;
            if (!tap_columns(G, kx, p0, p1, &a, &b)) continue;
            const float *xa = x_row + (long)(a * s - G->pad + kx) * G->cin;
            const float *da = dy_row + (long)a * G->cout;
            float *tap = total + (long)(ky * k + kx) * G->cout;
            int c = c0;
            for (; c + 16 <= c1; c += 16) dw_filter_block_4(xa + c, s * G->cin, da + c, G->cout, b - a, tap + c);
            for (; c + 4 <= c1; c += 4) dw_filter_block_1(xa + c, s * G->cin, da + c, G->cout, b - a, tap + c);
            for (; c < c1; c++) filter_scalar(xa + c, s * G->cin, da + c, G->cout, b - a, tap + c);
          }
        }
      }
}

// dw[ky, kx, ci, g*coutG + co] = sum_{n, oy, ox} x[n, oy*s - p + ky, ox*s - p + kx, g*cinG + ci] * dy[n, oy, ox, g*coutG + co]
// over work units [g0, g1): blocked_backprop_filter's, or a depthwise filter's channels.
static inline __attribute__((always_inline)) void backprop_filter(const Geometry *G, const float *x, const float *dy, float *total, int g0, int g1) {
  if (cin_g(G) == 1 && cout_g(G) == 1)
    depthwise_backprop_filter(G, x, dy, total, g0, g1);
  else
    blocked_backprop_filter(G, x, dy, total, g0, g1);
}

static Geometry geometry(int n, int h, int w, int cin, int cout, int groups, int k, int stride, int pad) {
  Geometry G = {n, h, w, cin, 0, 0, cout, groups, k, stride, pad};
  G.ho = (h + 2 * pad - k) / stride + 1;
  G.wo = (w + 2 * pad - k) / stride + 1;
  return G;
}

// The exported kernels take a range of the dimension they split (batch images; for the filter
// gradient the work units of blocked_backprop_filter, or channels of a depthwise filter): ranges are independent, each writes its own part of the output, and the values do
// not depend on how the range is split (the same float operations in the same order), so the caller
// may run the ranges on several threads sharing this module's memory. No kernel uses the C stack or
// a global (scripts/build-kernels.mjs checks): instances on several threads can run at once.

// Floats of scratch the forward takes to run every pixel through its blocks (the batch with a zero
// border), or 0 where it does not block this layer. The scratch pointer comes after the range (0: the
// border pixels one at a time).
__attribute__((export_name("grouped_conv_forward_scratch"))) int grouped_conv_forward_scratch(int n, int h, int w, int cin, int cout, int groups,
                                                                                              int k, int stride, int pad) {
  const Geometry G = geometry(n, h, w, cin, cout, groups, k, stride, pad);
  return forward_blocked(&G) ? n * (h + 2 * pad) * (w + 2 * pad) * cin : 0;
}

__attribute__((export_name("grouped_conv_forward"))) void grouped_conv_forward(int n, int h, int w, int cin, int cout, int groups, int k,
                                                                              int stride, int pad, const float *x, const float *f, float *y,
                                                                              int n0, int n1, float *padded) {
  const Geometry G = geometry(n, h, w, cin, cout, groups, k, stride, pad);
  forward(&G, x, f, y, n0, n1, padded);
}

// The filter with each group's block transposed, into `wt`, for grouped_conv_backprop_input.
__attribute__((export_name("grouped_conv_transpose_filter"))) void grouped_conv_transpose_filter(int cin, int cout, int groups, int k, const float *f,
                                                                                                float *wt) {
  const Geometry G = geometry(1, k, k, cin, cout, groups, k, 1, 0);
  transpose_filter(&G, f, wt);
}

// The same for the input gradient (dy with a border of k - 1 - pad zeros).
__attribute__((export_name("grouped_conv_backprop_input_scratch"))) int grouped_conv_backprop_input_scratch(int n, int h, int w, int cin, int cout,
                                                                                                            int groups, int k, int stride, int pad) {
  const Geometry G = geometry(n, h, w, cin, cout, groups, k, stride, pad);
  const int q = k - 1 - pad;
  return input_blocked(&G) && q >= 0 ? n * (G.ho + 2 * q) * (G.wo + 2 * q) * cout : 0;
}

__attribute__((export_name("grouped_conv_backprop_input"))) void grouped_conv_backprop_input(int n, int h, int w, int cin, int cout, int groups,
                                                                                            int k, int stride, int pad, const float *dy,
                                                                                            const float *wt, float *dx, int n0, int n1,
                                                                                            float *padded) {
  const Geometry G = geometry(n, h, w, cin, cout, groups, k, stride, pad);
  backprop_input(&G, dy, wt, dx, n0, n1, padded);
}

// How many work units grouped_conv_backprop_filter splits over (its range [g0, g1) is in these): per group
// ceil(cinG / 4) blocks of input channels, or a depthwise filter's channels.
__attribute__((export_name("grouped_conv_filter_units"))) int grouped_conv_filter_units(int cin, int cout, int groups) {
  return cin == groups && cout == groups ? groups : groups * ((cin / groups + 3) / 4);
}

__attribute__((export_name("grouped_conv_backprop_filter"))) void grouped_conv_backprop_filter(int n, int h, int w, int cin, int cout, int groups,
                                                                                              int k, int stride, int pad, const float *x,
                                                                                              const float *dy, float *scratch, float *dw,
                                                                                              int g0, int g1) {
  (void)scratch;  // unused since the depthwise sums moved into registers; kept so builds stay call-compatible (bench/groupedConvKernels.bench.ts)
  const Geometry G = geometry(n, h, w, cin, cout, groups, k, stride, pad);
  backprop_filter(&G, x, dy, dw, g0, g1);
}

// The filter gradient summed over fixed chunks of `chunk` images instead of split by work units: chunk j
// (images [j*chunk, min(n, (j+1)*chunk))) writes its whole filter gradient to part + j*size (size: the
// filter's floats). Chunks [j0, j1) only: the caller may split them over threads, each then streaming only
// its images of x and dy (split by units, two threads pull the same cache lines of every pixel).
// grouped_conv_sum_parts then adds the parts in chunk order, so the values depend on `chunk`, not on the
// threads.
__attribute__((export_name("grouped_conv_backprop_filter_chunks"))) void grouped_conv_backprop_filter_chunks(int n, int h, int w, int cin, int cout, int groups,
                                                                                                            int k, int stride, int pad, const float *x,
                                                                                                            const float *dy, float *part, int chunk, int j0,
                                                                                                            int j1) {
  const int units = grouped_conv_filter_units(cin, cout, groups);
  const long size = (long)k * k * (cin / groups) * cout;
  for (int j = j0; j < j1; j++) {
    const int n0 = j * chunk, m = n0 + chunk < n ? chunk : n - n0;
    const Geometry G = geometry(m, h, w, cin, cout, groups, k, stride, pad);
    backprop_filter(&G, x + (long)n0 * h * w * cin, dy + (long)n0 * G.ho * G.wo * cout, part + j * size, 0, units);
  }
}

// The parts of grouped_conv_backprop_filter_chunks joined in chunk order (simd.h sum_parts), elements [i0, i1).
__attribute__((export_name("grouped_conv_sum_parts"))) void grouped_conv_sum_parts(int count, int size, const float *part, float *out, int i0, int i1) {
  sum_parts(count, size, part, out, i0, i1);
}

// Depthwise convolution (channel multiplier 1) and its input gradient, any stride and padding: for
// XNNPACK's depthwise operator, which tfjs' DepthwiseConv2dNative runs and the input gradient ran as
// stride-1 phases, measured here at 1.6-3.7 GMAC/s on EfficientNet's layers. One pixel at a time (at 32 px
// most of EfficientNet's depthwise pixels are border pixels), 16 channels at a time, then 4, then one.
// A pixel's taps form a grid: `rows` x `cols` taps, the first at `a` (the input, or dy) and `f` (the
// filter), the next row and column `a_row`/`a_col` and `f_row`/`f_col` floats on. Per element: zero,
// then the taps in order (the filter's rows, then its columns, ascending).
#define DEFINE_DW_BLOCK(NAME, V)                                                                                          \
  static inline __attribute__((always_inline)) void NAME(const float *a, int a_row, int a_col, const float *f, int f_row,  \
                                                         int f_col, int rows, int cols, float *y) {                       \
    v128_t acc[V];                                                                                                        \
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[v] = wasm_f32x4_splat(0.0f);                      \
    for (int i = 0; i < rows; i++)                                                                                        \
      for (int j = 0; j < cols; j++) {                                                                                    \
        const float *at = a + i * a_row + j * a_col;                                                                      \
        const float *ft = f + i * f_row + j * f_col;                                                                      \
        _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++)                                                    \
          acc[v] = MADD_V(V, acc[v], wasm_v128_load(at + 4 * v), wasm_v128_load(ft + 4 * v));                           \
      }                                                                                                                   \
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) wasm_v128_store(y + 4 * v, acc[v]);                   \
  }
DEFINE_DW_BLOCK(dw_block_4, 4)
DEFINE_DW_BLOCK(dw_block_1, 1)

// Every channel of one pixel: y[ch] = sum over the tap grid of a[ch] * f[ch].
static inline __attribute__((always_inline)) void dw_pixel(const float *a, int a_row, int a_col, const float *f, int f_row, int f_col,
                                                           int rows, int cols, int c, float *y) {
  int ch = 0;
  for (; ch + 16 <= c; ch += 16) dw_block_4(a + ch, a_row, a_col, f + ch, f_row, f_col, rows, cols, y + ch);
  for (; ch + 4 <= c; ch += 4) dw_block_1(a + ch, a_row, a_col, f + ch, f_row, f_col, rows, cols, y + ch);
  for (; ch < c; ch++) {
    float acc = 0.0f;
    for (int i = 0; i < rows; i++)
      for (int j = 0; j < cols; j++) acc += a[ch + i * a_row + j * a_col] * f[ch + i * f_row + j * f_col];
    y[ch] = acc;
  }
}

// y[n, oy, ox, ch] = sum_{ky, kx} x[n, oy*sh - pt + ky, ox*sw - pl + kx, ch] * f[ky, kx, ch] for images
// [n0, n1), taps outside the input skipped (zero padding of any width); f is [kh, kw, c] (tfjs' [kh, kw, c, 1]).
__attribute__((export_name("depthwise_conv"))) void depthwise_conv(int n, int h, int w, int c, int kh, int kw, int sh, int sw, int pt,
                                                                  int pl, int ho, int wo, const float *x, const float *f, float *y,
                                                                  int n0, int n1) {
  (void)n;
  for (int b = n0; b < n1; b++)
    for (int oy = 0; oy < ho; oy++) {
      const int iy = oy * sh - pt;
      const int ky0 = iy < 0 ? -iy : 0, ky1 = h - iy < kh ? h - iy : kh;
      for (int ox = 0; ox < wo; ox++) {
        const int ix = ox * sw - pl;
        const int kx0 = ix < 0 ? -ix : 0, kx1 = w - ix < kw ? w - ix : kw;
        const float *xp = x + (((long)b * h + iy + ky0) * w + ix + kx0) * c;
        dw_pixel(xp, w * c, c, f + (ky0 * kw + kx0) * c, kw * c, c, ky1 - ky0, kx1 - kx0, c, y + (((long)b * ho + oy) * wo + ox) * c);
      }
    }
}

// The taps of one axis that reach input index i: k with (i + p - k) divisible by s and 0 <= (i + p - k)/s < o,
// ascending from *k0 in steps of s, *count of them; *q the output index of the first.
static inline __attribute__((always_inline)) void dw_input_taps(int i, int p, int s, int k, int o, int *k0, int *count, int *q) {
  const int t = i + p;  // >= 0 (p >= 0)
  int first = t % s;    // the smallest tap with (t - tap) divisible by s
  int q0 = (t - first) / s;
  if (q0 >= o) {        // skip taps whose output lies past the end
    const int skip = q0 - (o - 1);
    first += skip * s;
    q0 -= skip;
  }
  const int last = t < k - 1 ? t : k - 1;  // output index >= 0
  *k0 = first;
  *q = q0;
  *count = first > last ? 0 : (last - first) / s + 1;
}

// dx[n, iy, ix, ch] = sum over taps (ky, kx) with iy = oy*sh - pt + ky, ix = ox*sw - pl + kx of
// dy[n, oy, ox, ch] * f[ky, kx, ch], for images [n0, n1): the input gradient of depthwise_conv, every
// stride in one pass (no phases, no scatter).
__attribute__((export_name("depthwise_conv_backprop_input"))) void depthwise_conv_backprop_input(int n, int h, int w, int c, int kh, int kw, int sh,
                                                                                                int sw, int pt, int pl, int ho, int wo,
                                                                                                const float *dy, const float *f, float *dx,
                                                                                                int n0, int n1) {
  (void)n;
  for (int b = n0; b < n1; b++)
    for (int iy = 0; iy < h; iy++) {
      int ky0, rows, oy;
      dw_input_taps(iy, pt, sh, kh, ho, &ky0, &rows, &oy);
      for (int ix = 0; ix < w; ix++) {
        int kx0, cols, ox;
        dw_input_taps(ix, pl, sw, kw, wo, &kx0, &cols, &ox);
        float *out = dx + (((long)b * h + iy) * w + ix) * c;
        if (rows == 0 || cols == 0) {
          for (int ch = 0; ch < c; ch++) out[ch] = 0.0f;
          continue;
        }
        const float *dp = dy + (((long)b * ho + oy) * wo + ox) * c;
        dw_pixel(dp, -wo * c, -c, f + (ky0 * kw + kx0) * c, sh * kw * c, sw * c, rows, cols, c, out);
      }
    }
}

// The first byte free for tensors (after the data and stack the linker placed).
extern unsigned char __heap_base;
__attribute__((export_name("heap_base"))) unsigned int heap_base(void) { return (unsigned int)&__heap_base; }
