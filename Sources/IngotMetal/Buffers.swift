// Buffers.swift — MTLBuffers behind ingot_metal_buffer handles: shared (CPU-visible) or private, or a
// file range (weights) loaded with MTLIO into a private buffer, falling back to an mmapped no-copy
// shared buffer. A no-copy mapping starts at a page boundary, so such a buffer carries a base offset
// that every binding adds.
import Foundation
import Metal

final class EngineBuffer {
  static let sharedStorage: Int32 = 0
  static let privateStorage: Int32 = 1

  let owner: EngineDevice
  let buffer: MTLBuffer
  let size: Int
  let storage: Int32
  /// Where byte 0 of this handle sits inside `buffer`.
  let baseOffset: Int

  init(owner: EngineDevice, buffer: MTLBuffer, size: Int, storage: Int32, baseOffset: Int = 0) {
    self.owner = owner
    self.buffer = buffer
    self.size = size
    self.storage = storage
    self.baseOffset = baseOffset
  }

  static func create(owner: EngineDevice, size: Int, storage: Int32) throws -> EngineBuffer {
    guard size > 0 else { throw EngineError.invalid("buffer_create: zero size") }
    let options: MTLResourceOptions = storage == EngineBuffer.privateStorage ? .storageModePrivate : .storageModeShared
    guard let buffer = owner.device.makeBuffer(length: size, options: options) else {
      throw EngineError.noMemory("cannot allocate a Metal buffer of \(size) bytes")
    }
    let made = EngineBuffer(owner: owner, buffer: buffer, size: size, storage: storage)
    if storage == EngineBuffer.sharedStorage { memset(buffer.contents(), 0, size) } else { try made.fill(0) }
    return made
  }

  static func fromFile(owner: EngineDevice, path: String, offset: Int, size: Int, storage: Int32) throws -> EngineBuffer {
    guard size > 0, offset >= 0 else { throw EngineError.invalid("buffer_from_file: bad range") }
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    guard let fileSize = (attributes?[.size] as? NSNumber)?.intValue else { throw EngineError.io("cannot open \(path)") }
    guard offset + size <= fileSize else { throw EngineError.io("\(path): range [\(offset), \(offset + size)) is outside the file") }
    if storage == EngineBuffer.privateStorage, let loaded = try? IOLoader.load(device: owner.device, path: path, offset: offset, size: size) {
      return EngineBuffer(owner: owner, buffer: loaded, size: size, storage: storage)
    }
    return try mapped(owner: owner, path: path, offset: offset, size: size)
  }

  private static func mapped(owner: EngineDevice, path: String, offset: Int, size: Int) throws -> EngineBuffer {
    let page = Int(getpagesize())
    let start = offset / page * page
    let length = (offset + size - start + page - 1) / page * page
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw EngineError.io("cannot open \(path)") }
    defer { close(fd) }
    guard let base = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, off_t(start)), base != MAP_FAILED else {
      throw EngineError.io("cannot map \(path)")
    }
    guard let buffer = owner.device.makeBuffer(bytesNoCopy: base, length: length, options: .storageModeShared, deallocator: { pointer, length in
      munmap(pointer, length)
    }) else {
      munmap(base, length)
      throw EngineError.noMemory("cannot wrap the mapping of \(path) in a Metal buffer")
    }
    return EngineBuffer(owner: owner, buffer: buffer, size: size, storage: EngineBuffer.sharedStorage, baseOffset: offset - start)
  }

  var contents: UnsafeMutableRawPointer? {
    storage == EngineBuffer.sharedStorage ? buffer.contents() + baseOffset : nil
  }

  private func check(_ offset: Int, _ count: Int) throws {
    guard offset >= 0, count >= 0, offset + count <= size else { throw EngineError.invalid("range outside the buffer (\(size) bytes)") }
  }

  func write(offset: Int, from source: UnsafeRawPointer, count: Int) throws {
    try check(offset, count)
    if let contents { memcpy(contents + offset, source, count); return }
    guard let staging = owner.device.makeBuffer(bytes: source, length: max(count, 1), options: .storageModeShared) else {
      throw EngineError.noMemory("cannot stage \(count) bytes")
    }
    try blit(from: staging, sourceOffset: 0, to: buffer, destinationOffset: baseOffset + offset, count: count)
  }

  func read(offset: Int, into destination: UnsafeMutableRawPointer, count: Int) throws {
    try check(offset, count)
    if let contents { memcpy(destination, contents + offset, count); return }
    guard let staging = owner.device.makeBuffer(length: max(count, 1), options: .storageModeShared) else {
      throw EngineError.noMemory("cannot stage \(count) bytes")
    }
    try blit(from: buffer, sourceOffset: baseOffset + offset, to: staging, destinationOffset: 0, count: count)
    memcpy(destination, staging.contents(), count)
  }

  private func fill(_ value: UInt8) throws {
    _ = try owner.submit(label: "ingot fill") { commandBuffer in
      guard let blit = commandBuffer.makeBlitCommandEncoder() else { throw EngineError.noMemory("cannot create a blit encoder") }
      blit.fill(buffer: buffer, range: 0..<size, value: value)
      blit.endEncoding()
    }
  }

  private func blit(from source: MTLBuffer, sourceOffset: Int, to destination: MTLBuffer, destinationOffset: Int, count: Int) throws {
    _ = try owner.submit(label: "ingot copy") { commandBuffer in
      guard let blit = commandBuffer.makeBlitCommandEncoder() else { throw EngineError.noMemory("cannot create a blit encoder") }
      blit.copy(from: source, sourceOffset: sourceOffset, to: destination, destinationOffset: destinationOffset, size: count)
      blit.endEncoding()
    }
  }
}
