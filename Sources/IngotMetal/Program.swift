// Program.swift — a dispatch list recorded once into an MTLIndirectCommandBuffer and replayed per run
// (useResources for every bound buffer, then executeCommandsInBuffer): nothing is encoded per token.
// The first run encodes the dispatches directly, which also dispatches every pipeline once (the
// workaround tinygrad needed against "Invalid Resource" faults on pre-M3 GPUs); when the ICB cannot
// be created, every run encodes directly.
import Foundation
import IngotMetalABI
import Metal

struct ResolvedDispatch {
  let pipeline: MTLComputePipelineState
  let bindings: [(buffer: MTLBuffer, offset: Int)?]
  let threadgroupMemory: Int
  let grid: MTLSize
  let threads: MTLSize
  let barrier: Bool
}

final class EngineProgram {
  let owner: EngineDevice
  let dispatches: [ResolvedDispatch]
  private let resources: [MTLResource]
  private let icb: MTLIndirectCommandBuffer?
  private var warmed = false
  private(set) var lastNanoseconds: UInt64 = 0

  init(owner: EngineDevice, records: UnsafeBufferPointer<ingot_metal_dispatch>) throws {
    self.owner = owner
    let limits = owner.device
    var resolved: [ResolvedDispatch] = []
    var used: [ObjectIdentifier: MTLBuffer] = [:]
    for (i, record) in records.enumerated() {
      let pipeline = try owner.pipeline(at: record.pipeline)
      let name = pipeline.label ?? "#\(record.pipeline)"
      let threads = MTLSize(width: Int(record.threads.0), height: Int(record.threads.1), depth: Int(record.threads.2))
      let grid = MTLSize(width: Int(record.grid.0), height: Int(record.grid.1), depth: Int(record.grid.2))
      let count = threads.width * threads.height * threads.depth
      guard count > 0, count <= pipeline.maxTotalThreadsPerThreadgroup else {
        throw EngineError.invalid("dispatch \(i) (\(name)): \(count) threads per threadgroup (limit \(pipeline.maxTotalThreadsPerThreadgroup))")
      }
      guard grid.width * grid.height * grid.depth > 0 else { throw EngineError.invalid("dispatch \(i) (\(name)): empty grid") }
      guard Int(record.threadgroup_memory) <= limits.maxThreadgroupMemoryLength else {
        throw EngineError.invalid("dispatch \(i) (\(name)): \(record.threadgroup_memory) bytes of threadgroup memory (limit \(limits.maxThreadgroupMemoryLength))")
      }
      guard Int(record.n_bindings) <= Int(INGOT_METAL_MAX_BINDINGS) else {
        throw EngineError.invalid("dispatch \(i) (\(name)): \(record.n_bindings) bindings (limit \(INGOT_METAL_MAX_BINDINGS))")
      }
      let slots = withUnsafeBytes(of: record.bindings) { Array($0.bindMemory(to: ingot_metal_binding.self)) }
      var bindings: [(buffer: MTLBuffer, offset: Int)?] = []
      for (slot, binding) in slots.prefix(Int(record.n_bindings)).enumerated() {
        guard let handle = binding.buffer else { bindings.append(nil); continue }
        let buffer = Unmanaged<EngineBuffer>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
        guard Int(binding.offset) < buffer.size else {
          throw EngineError.invalid("dispatch \(i) (\(name)): binding \(slot) offset \(binding.offset) is beyond its buffer (\(buffer.size) bytes)")
        }
        bindings.append((buffer.buffer, buffer.baseOffset + Int(binding.offset)))
        used[ObjectIdentifier(buffer.buffer)] = buffer.buffer
      }
      resolved.append(ResolvedDispatch(pipeline: pipeline, bindings: bindings, threadgroupMemory: Int(record.threadgroup_memory),
                                       grid: grid, threads: threads, barrier: record.barrier != 0))
    }
    dispatches = resolved
    resources = Array(used.values)
    icb = EngineProgram.record(device: owner.device, dispatches: resolved)
  }

  private static func record(device: MTLDevice, dispatches: [ResolvedDispatch]) -> MTLIndirectCommandBuffer? {
    let descriptor = MTLIndirectCommandBufferDescriptor()
    descriptor.commandTypes = .concurrentDispatch
    descriptor.inheritBuffers = false
    descriptor.inheritPipelineState = false
    descriptor.maxKernelBufferBindCount = Int(INGOT_METAL_MAX_BINDINGS)
    guard let icb = device.makeIndirectCommandBuffer(descriptor: descriptor, maxCommandCount: dispatches.count, options: []) else {
      return nil
    }
    for (i, d) in dispatches.enumerated() {
      let command = icb.indirectComputeCommandAt(i)
      command.setComputePipelineState(d.pipeline)
      for (slot, binding) in d.bindings.enumerated() {
        if let binding { command.setKernelBuffer(binding.buffer, offset: binding.offset, at: slot) }
      }
      if d.threadgroupMemory > 0 { command.setThreadgroupMemoryLength(d.threadgroupMemory, index: 0) }
      command.concurrentDispatchThreadgroups(d.grid, threadsPerThreadgroup: d.threads)
      if d.barrier { command.setBarrier() }
    }
    return icb
  }

  var usesIndirectCommandBuffer: Bool { icb != nil }

  func run() throws {
    let commandBuffer = try owner.submit(label: "ingot program (\(dispatches.count) dispatches)") { commandBuffer in
      guard let encoder = commandBuffer.makeComputeCommandEncoder() else { throw EngineError.noMemory("cannot create a compute encoder") }
      if let icb, warmed {
        encoder.useResources(resources, usage: [.read, .write])
        encoder.executeCommandsInBuffer(icb, range: 0..<dispatches.count)
      } else {
        encodeDirectly(encoder)
      }
      encoder.endEncoding()
    }
    warmed = true
    lastNanoseconds = UInt64(max(0, commandBuffer.gpuEndTime - commandBuffer.gpuStartTime) * 1e9)
  }

  private func encodeDirectly(_ encoder: MTLComputeCommandEncoder) {
    for d in dispatches {
      if d.barrier { encoder.memoryBarrier(scope: .buffers) }
      encoder.setComputePipelineState(d.pipeline)
      for (slot, binding) in d.bindings.enumerated() {
        if let binding { encoder.setBuffer(binding.buffer, offset: binding.offset, index: slot) }
      }
      if d.threadgroupMemory > 0 { encoder.setThreadgroupMemoryLength(d.threadgroupMemory, index: 0) }
      encoder.dispatchThreadgroups(d.grid, threadsPerThreadgroup: d.threads)
    }
  }
}
