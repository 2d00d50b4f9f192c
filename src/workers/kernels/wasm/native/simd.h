// The multiply-add of the app's product kernels (matMul.c, groupedConv.c): acc + a * b per lane.
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
#endif
