/// Converts raw voxel bytes of one NIfTI datatype and byte order to `Float`,
/// applying the scaling.
///
/// Scaled values are computed in `Double` (stored × slope + intercept) and
/// rounded once to `Float`, so they equal nibabel's float64 `get_fdata()`
/// rounded to float32. Unscaled values convert directly (exact for every
/// type up to 16 bits and float32; see ``NIfTIDatatype``).
struct NIfTIVoxelConverter {
    let datatype: NIfTIDatatype
    let bigEndian: Bool
    let slope: Double
    let intercept: Double

    var isScaled: Bool { slope != 1 || intercept != 0 }

    /// Converts `raw` (`out.count` voxels) into `out`.
    func convert(_ raw: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(raw.count == out.count * datatype.bytesPerVoxel, "one raw voxel per output value")
        switch datatype {
        case .uint8: integers(raw, UInt8.self, out)
        case .int8: integers(raw, Int8.self, out)
        case .int16: integers(raw, Int16.self, out)
        case .uint16: integers(raw, UInt16.self, out)
        case .int32: integers(raw, Int32.self, out)
        case .uint32: integers(raw, UInt32.self, out)
        case .int64: integers(raw, Int64.self, out)
        case .uint64: integers(raw, UInt64.self, out)
        case .float32:
            floats(raw, UInt32.self, out) { Double(Float(bitPattern: $0)) }
        case .float64:
            floats(raw, UInt64.self, out) { Double(bitPattern: $0) }
        }
    }

    /// Loads one `T` per voxel in the file's byte order.
    @inline(__always)
    private func load<T: FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, _ i: Int, _: T.Type) -> T {
        let v = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
        return bigEndian ? T(bigEndian: v) : T(littleEndian: v)
    }

    private func integers<T: FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, _ type: T.Type,
                                                _ out: UnsafeMutableBufferPointer<Float>) {
        if isScaled {
            for i in out.indices { out[i] = Float(Double(load(raw, i, T.self)) * slope + intercept) }
        } else {
            // Float(T) rounds to nearest once: exact up to 2^24.
            for i in out.indices { out[i] = Float(load(raw, i, T.self)) }
        }
    }

    private func floats<Bits: FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, _ type: Bits.Type,
                                                 _ out: UnsafeMutableBufferPointer<Float>,
                                                 decode: (Bits) -> Double) {
        if isScaled {
            for i in out.indices { out[i] = Float(decode(load(raw, i, Bits.self)) * slope + intercept) }
        } else {
            for i in out.indices { out[i] = Float(decode(load(raw, i, Bits.self))) }
        }
    }
}
