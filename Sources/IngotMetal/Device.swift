// Device.swift — one Metal device, its command queue, the shader library and the pipelines built
// from it by name (each with supportIndirectCommandBuffers, so programs can be recorded into ICBs).
import Foundation
import Metal

final class EngineDevice {
  let device: MTLDevice
  let queue: MTLCommandQueue
  let library: MTLLibrary
  let libraryPath: String
  private(set) var pipelines: [MTLComputePipelineState] = []
  private var indexByName: [String: Int32] = [:]
  private let lock = NSLock()

  init(libraryPath: String) throws {
    guard let device = MTLCreateSystemDefaultDevice() else { throw EngineError.unsupported("no Metal device on this machine") }
    // simdgroup_matrix (mul_mm) needs Apple7 (M1) or later.
    guard device.supportsFamily(.apple7) else { throw EngineError.unsupported("\(device.name) is not an Apple7+ GPU (M1 or later)") }
    guard let queue = device.makeCommandQueue() else { throw EngineError.noMemory("cannot create a command queue") }
    queue.label = "ingot"
    self.device = device
    self.queue = queue
    self.libraryPath = libraryPath
    self.library = try ShaderLibrary.load(device: device, path: libraryPath)
  }

  func pipeline(named name: String) throws -> Int32 {
    lock.lock()
    defer { lock.unlock() }
    if let index = indexByName[name] { return index }
    guard let function = library.makeFunction(name: name) else {
      throw EngineError.notFound("no kernel named '\(name)' in \(libraryPath)")
    }
    let descriptor = MTLComputePipelineDescriptor()
    descriptor.computeFunction = function
    descriptor.supportIndirectCommandBuffers = true
    descriptor.label = name
    let state: MTLComputePipelineState
    do { state = try device.makeComputePipelineState(descriptor: descriptor, options: [], reflection: nil) } catch {
      throw EngineError.compile("pipeline '\(name)': \(error.localizedDescription)")
    }
    let index = Int32(pipelines.count)
    pipelines.append(state)
    indexByName[name] = index
    return index
  }

  func pipeline(at index: Int32) throws -> MTLComputePipelineState {
    lock.lock()
    defer { lock.unlock() }
    guard index >= 0, Int(index) < pipelines.count else { throw EngineError.invalid("no pipeline #\(index)") }
    return pipelines[Int(index)]
  }

  /// Runs `encode` in a fresh command buffer, waits, and reports Metal's own error text on failure.
  func submit(label: String, _ encode: (MTLCommandBuffer) throws -> Void) throws -> MTLCommandBuffer {
    guard let commandBuffer = queue.makeCommandBuffer() else { throw EngineError.noMemory("cannot create a command buffer") }
    commandBuffer.label = label
    try encode(commandBuffer)
    commandBuffer.commit()
    commandBuffer.waitUntilCompleted()
    if commandBuffer.status == .error {
      throw EngineError.execution("\(label): \(commandBuffer.error?.localizedDescription ?? "command buffer failed")")
    }
    return commandBuffer
  }
}
