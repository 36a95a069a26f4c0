// `ingot-metal bench`: times one mul_mv kernel (a decode matrix-vector product) through the C ABI,
// replayed from an indirect command buffer like the engine's programs, and reports the weight
// bandwidth it reaches. Weights are arbitrary bytes: only the time is meaningful.
import ArgumentParser
import Foundation
import IngotMetal
import IngotMetalABI

struct KernelBench: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "bench", abstract: "Microbenchmark a mul_mv kernel: GPU time and weight bandwidth.")

  /// Values and bytes per block of each weight type (shaders/dequant.h; checked by tests/metal/swift-syntax.test.ts).
  static let blocks: [String: (values: Int, bytes: Int)] = [
    "f32": (16, 64), "f16": (16, 32), "bf16": (16, 32), "q4_0": (32, 18), "q4_1": (32, 20), "q5_0": (32, 22), "q5_1": (32, 24),
    "q8_0": (32, 34), "q2_K": (256, 84), "q3_K": (256, 110), "q4_K": (256, 144), "q5_K": (256, 176), "q6_K": (256, 210),
  ]

  @Option(help: "Weight type suffix (q4_K, q8_0, f16, ...).") var type = "q4_K"
  @Option(name: .customShort("k"), help: "Input width.") var k = 4096
  @Option(name: .customShort("n"), help: "Output rows.") var n = 4096
  @Option(help: "Timed runs.") var iterations = 50
  @Option(help: "Shader library: a .metallib or the shaders/ directory.") var library = "shaders"

  func run() throws {
    guard let block = Self.blocks[type] else { throw ValidationError("unknown weight type \(type)") }
    guard k % block.values == 0 else { throw ValidationError("-k must be a multiple of \(block.values) for \(type)") }
    var device: OpaquePointer?
    try check(ingotMetalDeviceOpen(library, &device))
    defer { ingotMetalDeviceClose(device) }
    var pipeline: Int32 = 0
    try check(ingotMetalPipeline(device, "mul_mv_\(type)", &pipeline))

    let weightBytes = n * (k / block.values) * block.bytes
    // MvArgs (shaders/kargs.h): k, x_stride, cap, gather, norm, eps, pair, n_mat, n[3], bias[3], residual[3].
    let args: [Int32] = [Int32(k), Int32(k), 1, 0, 0, 0, 0, 1, Int32(n), 0, 0, 0, 0, 0, 0, 0, 0]
    let step: [Int32] = [1, 1, 0, 0, 0, 0, 0, 0]
    let argsBuffer = try buffer(device, bytes: args.count * 4, contents: args)
    let stepBuffer = try buffer(device, bytes: step.count * 4, contents: step)
    let weights = try buffer(device, bytes: weightBytes, contents: (0..<weightBytes / 4).map { Int32(truncatingIfNeeded: $0 &* 2_654_435_761) & 0x3bff3bff })
    let x = try buffer(device, bytes: k * 4, contents: [Float](repeating: 0.01, count: k))
    let y = try buffer(device, bytes: n * 4, contents: [Float](repeating: 0, count: n))
    defer { [argsBuffer, stepBuffer, weights, x, y].forEach { ingotMetalBufferFree($0) } }

    var record = ingot_metal_dispatch()
    record.pipeline = pipeline
    record.barrier = 1
    record.n_bindings = 13
    record.grid = (UInt32((n + 7) / 8), 1, 1)
    record.threads = (64, 1, 1)
    withUnsafeMutableBytes(of: &record.bindings) { raw in
      let slots = raw.bindMemory(to: ingot_metal_binding.self)
      let bound: [OpaquePointer?] = [argsBuffer, stepBuffer, x, x, weights, weights, weights, x, x, x, y, y, y]
      for (i, buffer) in bound.enumerated() { slots[i] = ingot_metal_binding(buffer: buffer, offset: 0) }
    }
    var program: OpaquePointer?
    try check(ingotMetalProgramCreate(device, &record, 1, &program))
    defer { ingotMetalProgramFree(program) }

    try check(ingotMetalProgramRun(program))  // first run: direct encoding and warm-up
    var total: UInt64 = 0
    var stat = ingot_metal_stat()
    for _ in 0..<iterations {
      try check(ingotMetalProgramRun(program))
      _ = ingotMetalProgramStats(program, &stat, 1)
      total += stat.nanoseconds
    }
    let seconds = Double(total) / Double(iterations) / 1e9
    print(String(format: "mul_mv_%@ k=%d n=%d: %.1f µs per run, %.1f GB/s of weights", type, k, n, seconds * 1e6, Double(weightBytes) / seconds / 1e9))
  }

  private func check(_ status: Int32) throws {
    guard status >= 0 else { throw ValidationError(String(cString: ingotMetalLastError())) }
  }

  private func buffer<T>(_ device: OpaquePointer?, bytes: Int, contents: [T]) throws -> OpaquePointer? {
    var handle: OpaquePointer?
    try check(ingotMetalBufferCreate(device, UInt64(bytes), 0, &handle))
    try contents.withUnsafeBytes { raw in try check(ingotMetalBufferWrite(handle, 0, raw.baseAddress, UInt64(min(bytes, raw.count)))) }
    return handle
  }
}
