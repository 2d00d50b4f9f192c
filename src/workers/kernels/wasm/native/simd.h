// The multiply-add of the app's product kernels (matMul.c, groupedConv.c): acc + a * b per lane; and the
// join of per-chunk partial sums both use.
//
// Built twice (scripts/build-kernels.mjs): with plain SIMD128 it is a multiply then an add, each
// rounded; with relaxed SIMD (-mrelaxed-simd) it is f32x4.relaxed_madd, which the engine runs as one
// fused multiply-add (one rounding) where the CPU has FMA and as the two operations where it has not.
// Either way every element of a kernel's output gets the same operations in the same order whatever
// the thread split, so a module's results do not depend on the helpers; the two builds differ in the
// last bits (a fused rounding). native.ts loads the relaxed build where the engine validates it.
#ifndef APP_SIMD_H
#define APP_SIMD_H
#include <wasm_simd128.h>

static inline __attribute__((always_inline)) v128_t madd(v128_t acc, v128_t a, v128_t b) {
#ifdef __wasm_relaxed_simd__
  return (v128_t)__builtin_wasm_relaxed_madd_f32x4((__f32x4)a, (__f32x4)b, (__f32x4)acc);
#else
  return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b));
#endif
}

// acc + a * b as a multiply then an add in either build: for kernels whose accumulators form too few
// independent chains to hide a fused multiply-add's longer latency (on AMD Zen, 5 cycles against an
// add's 3). Measured: the grouped kernels' one-vector blocks ran 1.1-1.5x slower fused.
static inline __attribute__((always_inline)) v128_t madd_unfused(v128_t acc, v128_t a, v128_t b) { return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b)); }

// out[i] = part[i] + part[size + i] + ... (`count` parts, in order) on elements [i0, i1): a gradient summed
// over fixed chunks of a batch, each chunk's sum in its own part (groupedConv.c, matMul.c), joined in chunk
// order, so that the values depend on the chunks and not on the threads that ran them.
static inline void sum_parts(int count, int size, const float *part, float *out, int i0, int i1) {
  int i = i0;
  for (; i + 4 <= i1; i += 4) {
    v128_t s = wasm_v128_load(part + i);
    for (int j = 1; j < count; j++) s = wasm_f32x4_add(s, wasm_v128_load(part + (long)j * size + i));
    wasm_v128_store(out + i, s);
  }
  for (; i < i1; i++) {
    float s = part[i];
    for (int j = 1; j < count; j++) s += part[(long)j * size + i];
    out[i] = s;
  }
}
#endif
