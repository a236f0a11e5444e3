{
  # Built by scripts/build-addon.mjs (npm's install step) against Node's local headers and Debian's
  # oneDNN (libdnnl-dev). Node's common.gypi compiles C++ without exceptions and RTTI; oneDNN's C++ API
  # throws, so both are switched back on.
  "targets": [
    {
      "target_name": "trainyard_onednn",
      "sources": [
        "native/addon.cc",
        "native/context.cc",
        "native/conv.cc",
        "native/conv_pool.cc",
        "native/pool.cc",
        "native/batch_norm.cc",
        "native/mat_mul.cc",
        "native/elementwise.cc",
        "native/reduce.cc",
        "native/layout.cc",
        "native/optimizer.cc",
        "native/loss.cc"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-fexceptions", "-frtti", "-O3", "-std=c++17", "-fopenmp", "-ffp-contract=off", "-fno-math-errno"],
      "libraries": ["-ldnnl", "-fopenmp"]
    }
  ]
}
