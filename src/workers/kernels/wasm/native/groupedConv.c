// Grouped 2-D convolution for tfjs' WASM backend: forward, input gradient and filter gradient, NHWC,
// with tfjs' compact grouped filter [kh, kw, cin/groups, cout]. Group g maps input channels
// [g*cinG, (g+1)*cinG) to output channels [g*coutG, (g+1)*coutG). Symmetric zero padding `pad`,
// square kernel and stride.
//
// Each kernel is a direct convolution vectorised with WASM SIMD128 (4 floats) along the channels of
// one group that its innermost loop writes: output channels (forward, filter gradient) or input
// channels (input gradient). Tails that are not a multiple of 4 run scalar. All pointers are byte
// offsets into this module's memory (the caller copies tensors in and out); see the exports for ranges.
//
// Build: `npm run build:kernels` (scripts/build-kernels.mjs), clang --target=wasm32 -msimd128.
#include <wasm_simd128.h>

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

// y[n, oy, ox, g*coutG + co] = sum_{ky, kx, ci} x[n, oy*s - p + ky, ox*s - p + kx, g*cinG + ci] * w[ky, kx, ci, g*coutG + co]
static void forward(const Geometry *G, const float *x, const float *w, float *y, int n0, int n1) {
  const int cg = cin_g(G), og = cout_g(G), k = G->k;
  const int vec = og & ~3;
  for (int n = n0; n < n1; n++)
    for (int oy = 0; oy < G->ho; oy++)
      for (int ox = 0; ox < G->wo; ox++) {
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
                wasm_v128_store(yp + c, wasm_f32x4_add(wasm_v128_load(yp + c), wasm_f32x4_mul(wasm_v128_load(xp + c), wasm_v128_load(wt + c))));
              for (; c < G->cout; c++) yp[c] += xp[c] * wt[c];
              continue;
            }
            for (int g = 0; g < G->groups; g++) {
              const float *xg = xp + g * cg;
              const float *wg = wt + g * og;
              float *yg = yp + g * og;
              int co = 0;
              for (; co + 8 <= vec; co += 8) {
                v128_t a0 = wasm_v128_load(yg + co), a1 = wasm_v128_load(yg + co + 4);
                for (int ci = 0; ci < cg; ci++) {
                  const v128_t xv = wasm_f32x4_splat(xg[ci]);
                  const float *wr = wg + (long)ci * G->cout + co;
                  a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(xv, wasm_v128_load(wr)));
                  a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(xv, wasm_v128_load(wr + 4)));
                }
                wasm_v128_store(yg + co, a0);
                wasm_v128_store(yg + co + 4, a1);
              }
              for (; co + 4 <= vec; co += 4) {
                v128_t a0 = wasm_v128_load(yg + co);
                for (int ci = 0; ci < cg; ci++)
                  a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_f32x4_splat(xg[ci]), wasm_v128_load(wg + (long)ci * G->cout + co)));
                wasm_v128_store(yg + co, a0);
              }
              for (; co < og; co++) {
                float a = yg[co];
                for (int ci = 0; ci < cg; ci++) a += xg[ci] * wg[(long)ci * G->cout + co];
                yg[co] = a;
              }
            }
          }
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

// dx[n, iy, ix, g*cinG + ci] = sum_{ky, kx, co} dy[n, oy, ox, g*coutG + co] * w[ky, kx, ci, g*coutG + co]
// over the (oy, ox) with oy*s - p + ky = iy, ox*s - p + kx = ix. `wt` is the filter transposed by
// transpose_filter (written once, before the batch ranges run).
static void backprop_input(const Geometry *G, const float *dy, const float *wt, float *dx, int n0, int n1) {
  const int cg = cin_g(G), og = cout_g(G), k = G->k, s = G->stride;
  const int vec = cg & ~3;
  for (int n = n0; n < n1; n++)
    for (int iy = 0; iy < G->h; iy++)
      for (int ix = 0; ix < G->w; ix++) {
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
                wasm_v128_store(xp + c, wasm_f32x4_add(wasm_v128_load(xp + c), wasm_f32x4_mul(wasm_v128_load(dp + c), wasm_v128_load(wtap + c))));
              for (; c < G->cin; c++) xp[c] += dp[c] * wtap[c];
              continue;
            }
            for (int g = 0; g < G->groups; g++) {
              const float *dg = dp + g * og;
              const float *wg = wtap + (long)g * og * cg;
              float *xg = xp + g * cg;
              int ci = 0;
              for (; ci + 8 <= vec; ci += 8) {
                v128_t a0 = wasm_v128_load(xg + ci), a1 = wasm_v128_load(xg + ci + 4);
                for (int co = 0; co < og; co++) {
                  const v128_t dv = wasm_f32x4_splat(dg[co]);
                  const float *wr = wg + (long)co * cg + ci;
                  a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(dv, wasm_v128_load(wr)));
                  a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(dv, wasm_v128_load(wr + 4)));
                }
                wasm_v128_store(xg + ci, a0);
                wasm_v128_store(xg + ci + 4, a1);
              }
              for (; ci + 4 <= vec; ci += 4) {
                v128_t a0 = wasm_v128_load(xg + ci);
                for (int co = 0; co < og; co++)
                  a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_f32x4_splat(dg[co]), wasm_v128_load(wg + (long)co * cg + ci)));
                wasm_v128_store(xg + ci, a0);
              }
              for (; ci < cg; ci++) {
                float a = xg[ci];
                for (int co = 0; co < og; co++) a += dg[co] * wg[(long)co * cg + ci];
                xg[ci] = a;
              }
            }
          }
        }
      }
}

// Output pixels whose filter-gradient terms are summed before they join the total: float32 sums of
// many terms drift (a sum over all N*Ho*Wo pixels in one accumulator missed 1e-5 at 512 terms).
#define FILTER_CHUNK 16

// total += partial, then partial = 0, on columns [c0, c1) of `rows` rows of `cols` floats.
static void add_into(float *total, float *partial, int rows, int cols, int c0, int c1) {
  for (int r = 0; r < rows; r++) {
    float *t = total + (long)r * cols, *p = partial + (long)r * cols;
    int i = c0;
    for (; i + 4 <= c1; i += 4) {
      wasm_v128_store(t + i, wasm_f32x4_add(wasm_v128_load(t + i), wasm_v128_load(p + i)));
      wasm_v128_store(p + i, wasm_f32x4_splat(0.0f));
    }
    for (; i < c1; i++) {
      t[i] += p[i];
      p[i] = 0.0f;
    }
  }
}

// Columns [c0, c1) of `rows` rows of `cols` floats set to zero.
static void zero_cols(float *p, int rows, int cols, int c0, int c1) {
  for (int r = 0; r < rows; r++) zero(p + (long)r * cols + c0, c1 - c0);
}

// dw[ky, kx, ci, g*coutG + co] = sum_{n, oy, ox} x[n, oy*s - p + ky, ox*s - p + kx, g*cinG + ci] * dy[n, oy, ox, g*coutG + co]
// Per output pixel and tap, the outer product of the group's input channels and output-gradient
// channels is added to a (cache-resident) partial filter gradient, which joins the total every
// FILTER_CHUNK pixels. `partial` is scratch of the filter's size. Only groups [g0, g1) are computed
// (their output channels' columns of the filter, partial and total): ranges of groups are independent.
static void backprop_filter(const Geometry *G, const float *x, const float *dy, float *partial, float *total, int g0, int g1) {
  const int cg = cin_g(G), og = cout_g(G), k = G->k;
  const int vec = og & ~3;
  const int rows = k * k * cg, c0 = g0 * og, c1 = g1 * og;
  float *dw = partial;
  int pixels = 0;
  zero_cols(total, rows, G->cout, c0, c1);
  zero_cols(partial, rows, G->cout, c0, c1);
  for (int n = 0; n < G->n; n++)
    for (int oy = 0; oy < G->ho; oy++)
      for (int ox = 0; ox < G->wo; ox++) {
        if (++pixels == FILTER_CHUNK) {
          add_into(total, partial, rows, G->cout, c0, c1);
          pixels = 0;
        }
        const float *dp = dy + (((long)n * G->ho + oy) * G->wo + ox) * G->cout;
        for (int ky = 0; ky < k; ky++) {
          const int iy = oy * G->stride - G->pad + ky;
          if (iy < 0 || iy >= G->h) continue;
          for (int kx = 0; kx < k; kx++) {
            const int ix = ox * G->stride - G->pad + kx;
            if (ix < 0 || ix >= G->w) continue;
            const float *xp = x + (((long)n * G->h + iy) * G->w + ix) * G->cin;
            float *wt = dw + (long)(ky * k + kx) * cg * G->cout;
            if (cg == 1 && og == 1) {  // depthwise: groups are channels
              int c = c0;
              for (; c + 4 <= c1; c += 4)
                wasm_v128_store(wt + c, wasm_f32x4_add(wasm_v128_load(wt + c), wasm_f32x4_mul(wasm_v128_load(xp + c), wasm_v128_load(dp + c))));
              for (; c < c1; c++) wt[c] += xp[c] * dp[c];
              continue;
            }
            for (int g = g0; g < g1; g++) {
              const float *xg = xp + g * cg;
              const float *dg = dp + g * og;
              float *wg = wt + g * og;
              int co = 0;
              for (; co + 8 <= vec; co += 8) {
                const v128_t d0 = wasm_v128_load(dg + co), d1 = wasm_v128_load(dg + co + 4);
                for (int ci = 0; ci < cg; ci++) {
                  const v128_t xv = wasm_f32x4_splat(xg[ci]);
                  float *wr = wg + (long)ci * G->cout + co;
                  wasm_v128_store(wr, wasm_f32x4_add(wasm_v128_load(wr), wasm_f32x4_mul(xv, d0)));
                  wasm_v128_store(wr + 4, wasm_f32x4_add(wasm_v128_load(wr + 4), wasm_f32x4_mul(xv, d1)));
                }
              }
              for (; co + 4 <= vec; co += 4) {
                const v128_t d0 = wasm_v128_load(dg + co);
                for (int ci = 0; ci < cg; ci++) {
                  float *wr = wg + (long)ci * G->cout + co;
                  wasm_v128_store(wr, wasm_f32x4_add(wasm_v128_load(wr), wasm_f32x4_mul(wasm_f32x4_splat(xg[ci]), d0)));
                }
              }
              for (; co < og; co++)
                for (int ci = 0; ci < cg; ci++) wg[(long)ci * G->cout + co] += xg[ci] * dg[co];
            }
          }
        }
      }
  add_into(total, partial, rows, G->cout, c0, c1);
}

static Geometry geometry(int n, int h, int w, int cin, int cout, int groups, int k, int stride, int pad) {
  Geometry G = {n, h, w, cin, 0, 0, cout, groups, k, stride, pad};
  G.ho = (h + 2 * pad - k) / stride + 1;
  G.wo = (w + 2 * pad - k) / stride + 1;
  return G;
}

// The exported kernels take a range of the dimension they split (batch images, or groups for the
// filter gradient): ranges are independent, each writes its own part of the output, and the values do
// not depend on how the range is split (the same float operations in the same order), so the caller
// may run the ranges on several threads sharing this module's memory. No kernel uses the C stack or
// a global (scripts/build-kernels.mjs checks): instances on several threads can run at once.

__attribute__((export_name("grouped_conv_forward"))) void grouped_conv_forward(int n, int h, int w, int cin, int cout, int groups, int k,
                                                                              int stride, int pad, const float *x, const float *f, float *y,
                                                                              int n0, int n1) {
  const Geometry G = geometry(n, h, w, cin, cout, groups, k, stride, pad);
  forward(&G, x, f, y, n0, n1);
}

// The filter with each group's block transposed, into `wt`, for grouped_conv_backprop_input.
__attribute__((export_name("grouped_conv_transpose_filter"))) void grouped_conv_transpose_filter(int cin, int cout, int groups, int k, const float *f,
                                                                                                float *wt) {
  const Geometry G = geometry(1, k, k, cin, cout, groups, k, 1, 0);
  transpose_filter(&G, f, wt);
}

__attribute__((export_name("grouped_conv_backprop_input"))) void grouped_conv_backprop_input(int n, int h, int w, int cin, int cout, int groups,
                                                                                            int k, int stride, int pad, const float *dy,
                                                                                            const float *wt, float *dx, int n0, int n1) {
  const Geometry G = geometry(n, h, w, cin, cout, groups, k, stride, pad);
  backprop_input(&G, dy, wt, dx, n0, n1);
}

__attribute__((export_name("grouped_conv_backprop_filter"))) void grouped_conv_backprop_filter(int n, int h, int w, int cin, int cout, int groups,
                                                                                              int k, int stride, int pad, const float *x,
                                                                                              const float *dy, float *scratch, float *dw,
                                                                                              int g0, int g1) {
  const Geometry G = geometry(n, h, w, cin, cout, groups, k, stride, pad);
  backprop_filter(&G, x, dy, scratch, dw, g0, g1);
}

// The first byte free for tensors (after the data and stack the linker placed).
extern unsigned char __heap_base;
__attribute__((export_name("heap_base"))) unsigned int heap_base(void) { return (unsigned int)&__heap_base; }
