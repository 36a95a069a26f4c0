// IOLoader.swift — loads a file range into a private buffer with MTLIO (macOS 13+; the file handle API
// used is macOS 14's makeIOFileHandle). Callers fall back to a no-copy mapping when it throws.
import Foundation
import Metal

enum IOLoader {
  /// Bytes per load command (MTLIO splits large requests itself; this bounds one command's staging).
  static let chunk = 64 << 20

  static func load(device: MTLDevice, path: String, offset: Int, size: Int) throws -> MTLBuffer {
    guard let buffer = device.makeBuffer(length: size, options: .storageModePrivate) else {
      throw EngineError.noMemory("cannot allocate \(size) bytes for \(path)")
    }
    let queue = try device.makeIOCommandQueue(descriptor: MTLIOCommandQueueDescriptor())
    let handle = try device.makeIOFileHandle(url: URL(fileURLWithPath: path))
    let commands = queue.makeCommandBuffer()
    var done = 0
    while done < size {
      let count = min(chunk, size - done)
      commands.load(buffer, offset: done, size: count, sourceHandle: handle, sourceHandleOffset: offset + done)
      done += count
    }
    commands.commit()
    commands.waitUntilCompleted()
    guard commands.status == .complete else {
      throw EngineError.io("MTLIO could not load \(path): \(commands.error?.localizedDescription ?? "status \(commands.status.rawValue)")")
    }
    buffer.label = URL(fileURLWithPath: path).lastPathComponent
    return buffer
  }
}
