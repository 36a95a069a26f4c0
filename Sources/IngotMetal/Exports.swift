// Exports.swift — the @_cdecl entry points of ingot_metal.h. Handles are retained Swift objects
// (Unmanaged.passRetained) released by the matching free call; every entry point is `guarded`.
import Foundation
import IngotMetalABI
import Metal

private func object<T: AnyObject>(_ handle: OpaquePointer?, _ what: String) throws -> T {
  guard let handle else { throw EngineError.invalid("\(what): null handle") }
  return Unmanaged<T>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
}

private func retained(_ value: AnyObject) -> OpaquePointer {
  OpaquePointer(Unmanaged.passRetained(value).toOpaque())
}

private func release<T: AnyObject>(_ handle: OpaquePointer?, as type: T.Type) {
  guard let handle else { return }
  Unmanaged<T>.fromOpaque(UnsafeRawPointer(handle)).release()
}

@_cdecl("ingot_metal_last_error")
public func ingotMetalLastError() -> UnsafePointer<CChar> {
  LastError.pointer
}

@_cdecl("ingot_metal_device_open")
public func ingotMetalDeviceOpen(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  guarded {
    guard let path, let out else { throw EngineError.invalid("device_open: null argument") }
    out.pointee = retained(try EngineDevice(libraryPath: String(cString: path)))
  }
}

@_cdecl("ingot_metal_device_close")
public func ingotMetalDeviceClose(_ device: OpaquePointer?) {
  release(device, as: EngineDevice.self)
}

@_cdecl("ingot_metal_device_query")
public func ingotMetalDeviceQuery(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<ingot_metal_device_info>?) -> Int32 {
  guarded {
    let device: EngineDevice = try object(handle, "device_query")
    guard let out else { throw EngineError.invalid("device_query: null output") }
    var info = ingot_metal_device_info()
    withUnsafeMutableBytes(of: &info.name) { raw in
      let bytes = Array(device.device.name.utf8.prefix(raw.count - 1))
      raw.copyBytes(from: bytes)
    }
    info.recommended_working_set = device.device.recommendedMaxWorkingSetSize
    info.max_threads_per_threadgroup = UInt32(device.device.maxThreadsPerThreadgroup.width)
    info.max_threadgroup_memory = UInt32(device.device.maxThreadgroupMemoryLength)
    info.simd_width = 32
    info.is_emulator = 0
    info.supports_icb = 1
    info.counts_bytes = 0
    out.pointee = info
  }
}

@_cdecl("ingot_metal_pipeline")
public func ingotMetalPipeline(_ handle: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
  guarded {
    let device: EngineDevice = try object(handle, "pipeline")
    guard let name, let out else { throw EngineError.invalid("pipeline: null argument") }
    out.pointee = try device.pipeline(named: String(cString: name))
  }
}

@_cdecl("ingot_metal_buffer_create")
public func ingotMetalBufferCreate(_ handle: OpaquePointer?, _ size: UInt64, _ storage: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  guarded {
    let device: EngineDevice = try object(handle, "buffer_create")
    guard let out else { throw EngineError.invalid("buffer_create: null output") }
    out.pointee = retained(try EngineBuffer.create(owner: device, size: Int(size), storage: storage))
  }
}

@_cdecl("ingot_metal_buffer_from_file")
public func ingotMetalBufferFromFile(_ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ offset: UInt64, _ size: UInt64,
                                     _ storage: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  guarded {
    let device: EngineDevice = try object(handle, "buffer_from_file")
    guard let path, let out else { throw EngineError.invalid("buffer_from_file: null argument") }
    out.pointee = retained(try EngineBuffer.fromFile(owner: device, path: String(cString: path), offset: Int(offset), size: Int(size), storage: storage))
  }
}

@_cdecl("ingot_metal_buffer_free")
public func ingotMetalBufferFree(_ buffer: OpaquePointer?) {
  release(buffer, as: EngineBuffer.self)
}

@_cdecl("ingot_metal_buffer_contents")
public func ingotMetalBufferContents(_ handle: OpaquePointer?) -> UnsafeMutableRawPointer? {
  guard let handle else { return nil }
  return Unmanaged<EngineBuffer>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue().contents
}

@_cdecl("ingot_metal_buffer_size")
public func ingotMetalBufferSize(_ handle: OpaquePointer?) -> UInt64 {
  guard let handle else { return 0 }
  return UInt64(Unmanaged<EngineBuffer>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue().size)
}

@_cdecl("ingot_metal_buffer_write")
public func ingotMetalBufferWrite(_ handle: OpaquePointer?, _ offset: UInt64, _ source: UnsafeRawPointer?, _ size: UInt64) -> Int32 {
  guarded {
    let buffer: EngineBuffer = try object(handle, "buffer_write")
    guard let source else { throw EngineError.invalid("buffer_write: null source") }
    try buffer.write(offset: Int(offset), from: source, count: Int(size))
  }
}

@_cdecl("ingot_metal_buffer_read")
public func ingotMetalBufferRead(_ handle: OpaquePointer?, _ offset: UInt64, _ destination: UnsafeMutableRawPointer?, _ size: UInt64) -> Int32 {
  guarded {
    let buffer: EngineBuffer = try object(handle, "buffer_read")
    guard let destination else { throw EngineError.invalid("buffer_read: null destination") }
    try buffer.read(offset: Int(offset), into: destination, count: Int(size))
  }
}

@_cdecl("ingot_metal_program_create")
public func ingotMetalProgramCreate(_ handle: OpaquePointer?, _ records: UnsafePointer<ingot_metal_dispatch>?, _ count: Int32,
                                    _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  guarded {
    let device: EngineDevice = try object(handle, "program_create")
    guard let records, count > 0, let out else { throw EngineError.invalid("program_create: null or empty argument") }
    out.pointee = retained(try EngineProgram(owner: device, records: UnsafeBufferPointer(start: records, count: Int(count))))
  }
}

@_cdecl("ingot_metal_program_free")
public func ingotMetalProgramFree(_ program: OpaquePointer?) {
  release(program, as: EngineProgram.self)
}

@_cdecl("ingot_metal_program_run")
public func ingotMetalProgramRun(_ handle: OpaquePointer?) -> Int32 {
  guarded {
    let program: EngineProgram = try object(handle, "program_run")
    try program.run()
  }
}

@_cdecl("ingot_metal_program_set_profiling")
public func ingotMetalProgramSetProfiling(_ handle: OpaquePointer?, _ enabled: Int32) -> Int32 {
  guarded {
    let _: EngineProgram = try object(handle, "set_profiling")
    if enabled != 0 { throw EngineError.unsupported("byte counting is only available in the MSL emulator (tools/metal-emu)") }
  }
}

/// Metal reports one record: the GPU time of the last run (dispatch -1).
@_cdecl("ingot_metal_program_stats")
public func ingotMetalProgramStats(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<ingot_metal_stat>?, _ capacity: Int32) -> Int32 {
  var count: Int32 = 0
  let status = guarded {
    let program: EngineProgram = try object(handle, "program_stats")
    count = 1
    if let out, capacity >= 1 {
      var stat = ingot_metal_stat()
      stat.dispatch = -1
      stat.nanoseconds = program.lastNanoseconds
      out.pointee = stat
    }
  }
  return status == 0 ? count : status
}
