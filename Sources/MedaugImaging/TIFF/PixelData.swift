/// The type of the values an image file stores, so that intensity scaling
/// is the caller's explicit choice (a uint16 CT slice and a float32 map are
/// not on the same scale).
///
/// Format-neutral: TIFF uses it now, other readers can too.
public enum SampleType: String, Sendable, CaseIterable, Codable {
    /// One bit per sample (bilevel images); values 0 and 1.
    case bool
    /// 8-bit unsigned integers, 0...255.
    case uint8
    /// 8-bit signed integers, -128...127.
    case int8
    /// 16-bit unsigned integers, 0...65535.
    case uint16
    /// 16-bit signed integers.
    case int16
    /// 32-bit unsigned integers.
    case uint32
    /// 32-bit signed integers.
    case int32
    /// IEEE 754 single precision.
    case float32
    /// IEEE 754 double precision.
    case float64

    /// Bits of one stored sample in the file (1 for `bool`).
    public var bitsPerSample: Int {
        switch self {
        case .bool: return 1
        case .uint8, .int8: return 8
        case .uint16, .int16: return 16
        case .uint32, .int32, .float32: return 32
        case .float64: return 64
        }
    }

    /// Bytes of one sample in memory (`bool` is one `Bool` per sample).
    public var bytesPerSample: Int { max(1, bitsPerSample / 8) }

    /// Whether the values are IEEE floating point.
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }
}

/// Pixel values exactly as stored, in their own type.
///
/// Layout: channel-planar [channels][height][width], row-major, so channel c,
/// row y, column x is at index `(c * height + y) * width + x`.
public enum PixelData: Equatable, Sendable {
    /// Bilevel samples (1 bit per sample in the file).
    case bool([Bool])
    /// 8-bit unsigned samples.
    case uint8([UInt8])
    /// 8-bit signed samples.
    case int8([Int8])
    /// 16-bit unsigned samples.
    case uint16([UInt16])
    /// 16-bit signed samples.
    case int16([Int16])
    /// 32-bit unsigned samples.
    case uint32([UInt32])
    /// 32-bit signed samples.
    case int32([Int32])
    /// Single-precision samples.
    case float32([Float])
    /// Double-precision samples.
    case float64([Double])

    /// The type of the stored samples.
    public var sampleType: SampleType {
        switch self {
        case .bool: return .bool
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .float64: return .float64
        }
    }

    /// The number of samples (channels × height × width).
    public var count: Int {
        switch self {
        case .bool(let v): return v.count
        case .uint8(let v): return v.count
        case .int8(let v): return v.count
        case .uint16(let v): return v.count
        case .int16(let v): return v.count
        case .uint32(let v): return v.count
        case .int32(let v): return v.count
        case .float32(let v): return v.count
        case .float64(let v): return v.count
        }
    }

    /// The samples converted to `Float` with no scaling (uint8 255 becomes
    /// 255.0, `true` becomes 1.0).
    ///
    /// Edge cases: 32-bit integers above 2^24 and float64 values lose
    /// precision (rounded to the nearest Float); float64 beyond Float's range
    /// becomes ±infinity. Complexity: O(count), one new array.
    public func floatValues() -> [Float] {
        switch self {
        case .bool(let v): return v.map { $0 ? 1 : 0 }
        case .uint8(let v): return v.map { Float($0) }
        case .int8(let v): return v.map { Float($0) }
        case .uint16(let v): return v.map { Float($0) }
        case .int16(let v): return v.map { Float($0) }
        case .uint32(let v): return v.map { Float($0) }
        case .int32(let v): return v.map { Float($0) }
        case .float32(let v): return v
        case .float64(let v): return v.map { Float($0) }
        }
    }

    /// Minimum, maximum and mean of the stored values.
    ///
    /// Edge cases: NaN samples are skipped and counted in `nanCount`; if every
    /// sample is NaN (or there are none) min, max and mean are NaN. The mean
    /// is a compensated (Neumaier) sum in Double, so float data holding both
    /// ±3.4e38 and ordinary values still gets the mean of the ordinary ones
    /// right; a sum beyond Double's range gives an infinite or NaN mean.
    /// Complexity: O(count), no allocation.
    public func summary() -> ValueSummary {
        switch self {
        case .bool(let v): return ValueSummary(v.lazy.map { $0 ? 1.0 : 0.0 })
        case .uint8(let v): return ValueSummary(v.lazy.map { Double($0) })
        case .int8(let v): return ValueSummary(v.lazy.map { Double($0) })
        case .uint16(let v): return ValueSummary(v.lazy.map { Double($0) })
        case .int16(let v): return ValueSummary(v.lazy.map { Double($0) })
        case .uint32(let v): return ValueSummary(v.lazy.map { Double($0) })
        case .int32(let v): return ValueSummary(v.lazy.map { Double($0) })
        case .float32(let v): return ValueSummary(v.lazy.map { Double($0) })
        case .float64(let v): return ValueSummary(v.lazy)
        }
    }
}

/// Minimum, maximum and mean of a set of stored values (see
/// ``PixelData/summary()``).
public struct ValueSummary: Equatable, Sendable {
    /// The smallest non-NaN value (NaN if there is none).
    public var min: Double
    /// The largest non-NaN value (NaN if there is none).
    public var max: Double
    /// The mean of the non-NaN values (NaN if there is none).
    public var mean: Double
    /// The number of values summarised, NaN included.
    public var count: Int
    /// The number of NaN values skipped.
    public var nanCount: Int

    /// Summarises `values` in one pass.
    public init<S: Sequence>(_ values: S) where S.Element == Double {
        var low = Double.infinity, high = -Double.infinity, sum = 0.0, compensation = 0.0
        var count = 0, nans = 0
        for value in values {
            count += 1
            if value.isNaN { nans += 1; continue }
            low = Swift.min(low, value)
            high = Swift.max(high, value)
            // Neumaier: keep the low-order bits each addition loses.
            let total = sum + value
            compensation += abs(sum) >= abs(value) ? (sum - total) + value : (value - total) + sum
            sum = total
        }
        let valid = count - nans
        self.min = valid > 0 ? low : .nan
        self.max = valid > 0 ? high : .nan
        // An infinite sum makes the compensation NaN; the sum alone is then the answer.
        let corrected = sum.isFinite ? sum + compensation : sum
        self.mean = valid > 0 ? corrected / Double(valid) : .nan
        self.count = count
        self.nanCount = nans
    }

    /// Combines the summaries of two disjoint sets of values (e.g. pages).
    public func merged(with other: ValueSummary) -> ValueSummary {
        var result = self
        let valid = count - nanCount, otherValid = other.count - other.nanCount
        result.count = count + other.count
        result.nanCount = nanCount + other.nanCount
        if otherValid > 0 {
            result.min = valid > 0 ? Swift.min(min, other.min) : other.min
            result.max = valid > 0 ? Swift.max(max, other.max) : other.max
            result.mean = valid > 0
                ? (mean * Double(valid) + other.mean * Double(otherValid)) / Double(valid + otherValid)
                : other.mean
        }
        return result
    }
}
