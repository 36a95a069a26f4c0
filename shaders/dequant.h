// dequant.h — one dequantisation policy per weight type, shared by every kernel that reads weights
// (get_rows, mul_mv, mul_mm take the policy as a template parameter). A policy states its block
// geometry and turns chunk `il` (CHUNK = 16 consecutive values, il < BLOCK / CHUNK) of the block at
// `b` into floats. Block layouts are GGUF's (ggml-common.h); the formulas follow ggml's
// dequantize_row_* so the values equal the CPU engine's dequantisation.
#ifndef INGOT_DEQUANT_H
#define INGOT_DEQUANT_H

#include <metal_stdlib>
#include "kargs.h"
using namespace metal;

static inline float load_half(device const uchar *p) { return float(*(device const half *)p); }

struct WF32 {
  enum { BLOCK = 16, BYTES = 64 };
  static void dequant(device const uchar *b, int il, thread float *o) {
    device const float *x = (device const float *)b;
    for (int i = 0; i < 16; i++) o[i] = x[i];
  }
};

struct WF16 {
  enum { BLOCK = 16, BYTES = 32 };
  static void dequant(device const uchar *b, int il, thread float *o) {
    device const half *x = (device const half *)b;
    for (int i = 0; i < 16; i++) o[i] = float(x[i]);
  }
};

struct WBF16 {
  enum { BLOCK = 16, BYTES = 32 };
  static void dequant(device const uchar *b, int il, thread float *o) {
    device const ushort *x = (device const ushort *)b;
    for (int i = 0; i < 16; i++) o[i] = as_type<float>(uint(x[i]) << 16);
  }
};

// x = d * (q - 8); values 0..15 are low nibbles, 16..31 high nibbles.
struct WQ4_0 {
  enum { BLOCK = 32, BYTES = 18 };
  static void dequant(device const uchar *b, int il, thread float *o) {
    const float d = load_half(b);
    device const uchar *qs = b + 2;
    const int shift = il * 4;
    for (int i = 0; i < 16; i++) o[i] = d * float(int((qs[i] >> shift) & 0xF) - 8);
  }
};

// x = d * q + m
struct WQ4_1 {
  enum { BLOCK = 32, BYTES = 20 };
  static void dequant(device const uchar *b, int il, thread float *o) {
    const float d = load_half(b), m = load_half(b + 2);
    device const uchar *qs = b + 4;
    const int shift = il * 4;
    for (int i = 0; i < 16; i++) o[i] = d * float((qs[i] >> shift) & 0xF) + m;
  }
};

// Fifth bit of value j is bit j of the 32-bit qh (read bytewise: qh sits at an odd half-word).
static inline uint load_qh(device const uchar *p) {
  return uint(p[0]) | (uint(p[1]) << 8) | (uint(p[2]) << 16) | (uint(p[3]) << 24);
}

// x = d * (q - 16)
struct WQ5_0 {
  enum { BLOCK = 32, BYTES = 22 };
  static void dequant(device const uchar *b, int il, thread float *o) {
    const float d = load_half(b);
    const uint qh = load_qh(b + 2);
    device const uchar *qs = b + 6;
    for (int i = 0; i < 16; i++) {
      const int q = int(((qs[i] >> (il * 4)) & 0xF) | (((qh >> (i + 16 * il)) & 1) << 4));
      o[i] = d * float(q - 16);
    }
  }
};

// x = d * q + m
struct WQ5_1 {
  enum { BLOCK = 32, BYTES = 24 };
  static void dequant(device const uchar *b, int il, thread float *o) {
    const float d = load_half(b), m = load_half(b + 2);
    const uint qh = load_qh(b + 4);
    device const uchar *qs = b + 8;
    for (int i = 0; i < 16; i++) {
      const uint q = ((qs[i] >> (il * 4)) & 0xF) | (((qh >> (i + 16 * il)) & 1) << 4);
      o[i] = d * float(q) + m;
    }
  }
};

// x = d * q
struct WQ8_0 {
  enum { BLOCK = 32, BYTES = 34 };
  static void dequant(device const uchar *b, int il, thread float *o) {
    const float d = load_half(b);
    device const char *qs = (device const char *)(b + 2) + 16 * il;
    for (int i = 0; i < 16; i++) o[i] = d * float(qs[i]);
  }
};

// Super-blocks of 256: chunk il uses scale il; its 2-bit quants sit in qs[32*(il/8) + 16*(il%2) ..]
// at bit 2*((il%8)/2).
struct WQ2_K {
  enum { BLOCK = 256, BYTES = 84 };
  static void dequant(device const uchar *b, int il, thread float *o) {
    const float d = load_half(b + 80), dmin = load_half(b + 82);
    const uchar sc = b[il];
    const float dl = d * float(sc & 0xF), ml = dmin * float(sc >> 4);
    device const uchar *q = b + 16 + 32 * (il / 8) + 16 * (il % 2);
    const int shift = 2 * ((il % 8) / 2);
    for (int i = 0; i < 16; i++) o[i] = dl * float((q[i] >> shift) & 3) - ml;
  }
};

// 3-bit quants: 2 low bits like Q2_K, the high bit in hmask (clear means -4); 6-bit signed scales.
struct WQ3_K {
  enum { BLOCK = 256, BYTES = 110 };
  static void dequant(device const uchar *b, int il, thread float *o) {
    device const uchar *hm = b, *qs = b + 32, *sc = b + 96;
    const float d = load_half(b + 108);
    const int lo = il < 8 ? (sc[il] & 0xF) : (sc[il - 8] >> 4);
    const int hi = (sc[8 + (il % 4)] >> (2 * (il / 4))) & 3;
    const float dl = d * float((lo | (hi << 4)) - 32);
    device const uchar *q = qs + 32 * (il / 8) + 16 * (il % 2);
    device const uchar *h = hm + 16 * (il % 2);
    const int j = (il % 8) / 2, shift = 2 * j;
    const uchar bit = uchar(1 << (4 * (il / 8) + j));
    for (int i = 0; i < 16; i++) o[i] = dl * float(int((q[i] >> shift) & 3) - ((h[i] & bit) ? 0 : 4));
  }
};

// 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K block (ggml's get_scale_min_k4).
static inline float2 scale_min_k4(device const uchar *q, int j) {
  if (j < 4) return float2(float(q[j] & 63), float(q[j + 4] & 63));
  return float2(float((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4)), float((q[j + 4] >> 4) | ((q[j] >> 6) << 4)));
}

// Eight sub-blocks of 32: x = d * sc * q - dmin * m; sub-block s uses the low nibbles of
// qs[32*(s/2) ..] when s is even, the high nibbles when odd.
struct WQ4_K {
  enum { BLOCK = 256, BYTES = 144 };
  static void dequant(device const uchar *b, int il, thread float *o) {
    const int s = il / 2;
    const float2 sm = scale_min_k4(b + 4, s);
    const float dl = load_half(b) * sm.x, ml = load_half(b + 2) * sm.y;
    device const uchar *q = b + 16 + 32 * (s / 2) + 16 * (il % 2);
    const int shift = 4 * (s % 2);
    for (int i = 0; i < 16; i++) o[i] = dl * float((q[i] >> shift) & 0xF) - ml;
  }
};

// Q4_K plus a fifth bit: bit s of qh[16*(il%2) + i].
struct WQ5_K {
  enum { BLOCK = 256, BYTES = 176 };
  static void dequant(device const uchar *b, int il, thread float *o) {
    const int s = il / 2;
    const float2 sm = scale_min_k4(b + 4, s);
    const float dl = load_half(b) * sm.x, ml = load_half(b + 2) * sm.y;
    device const uchar *qh = b + 16 + 16 * (il % 2);
    device const uchar *q = b + 48 + 32 * (s / 2) + 16 * (il % 2);
    const int shift = 4 * (s % 2);
    for (int i = 0; i < 16; i++) {
      const int v = int((q[i] >> shift) & 0xF) + ((qh[i] >> s) & 1) * 16;
      o[i] = dl * float(v) - ml;
    }
  }
};

// 6-bit quants in two halves of 128: quarter qt = (il%8)/2 takes low (qt < 2) or high nibbles of
// ql[64*half + 32*(qt%2) + l] and bits 2*qt of qh[32*half + l]; signed 8-bit scales per 16.
struct WQ6_K {
  enum { BLOCK = 256, BYTES = 210 };
  static void dequant(device const uchar *b, int il, thread float *o) {
    const int half_ = il / 8, qt = (il % 8) / 2, l0 = 16 * (il % 2);
    device const uchar *ql = b + 64 * half_ + 32 * (qt % 2) + l0;
    device const uchar *qh = b + 128 + 32 * half_ + l0;
    device const char *sc = (device const char *)(b + 192);
    const float dl = load_half(b + 208) * float(sc[8 * half_ + (il % 2) + 2 * qt]);
    const int shift = qt < 2 ? 0 : 4;
    for (int i = 0; i < 16; i++) {
      const int q = int((ql[i] >> shift) & 0xF) | (int((qh[i] >> (2 * qt)) & 3) << 4);
      o[i] = dl * float(q - 32);
    }
  }
};

#endif
