/// A NIfTI-1 voxel type (the header's `datatype` field) that medaug reads.
///
/// Every real-valued type of NIfTI-1 is read; the raw values become `Float`
/// in ``NIfTIVolume/values``. Precision: `Float` holds every value of
/// `int8`, `uint8`, `int16`, `uint16` and `float32` exactly, and of `int32`,
/// `uint32`, `int64` and `uint64` while |v| ≤ 2^24 (16 777 216); beyond that
/// and for `float64` the value is rounded to the nearest `Float` (relative
/// error ≤ 2^-24 ≈ 6e-8). Complex, RGB and 128-bit types are refused as
/// ``ImagingError/unsupported(path:reason:)``.
///
/// Only ``uint8``, ``int16``, ``uint16`` and ``float32`` can be written
/// (``isWritable``).
public enum NIfTIDatatype: Int16, CaseIterable, Sendable {
    /// `DT_UINT8` (2): unsigned 8-bit integer.
    case uint8 = 2
    /// `DT_INT16` (4): signed 16-bit integer.
    case int16 = 4
    /// `DT_INT32` (8): signed 32-bit integer.
    case int32 = 8
    /// `DT_FLOAT32` (16): IEEE 754 single precision.
    case float32 = 16
    /// `DT_FLOAT64` (64): IEEE 754 double precision.
    case float64 = 64
    /// `DT_INT8` (256): signed 8-bit integer.
    case int8 = 256
    /// `DT_UINT16` (512): unsigned 16-bit integer.
    case uint16 = 512
    /// `DT_UINT32` (768): unsigned 32-bit integer.
    case uint32 = 768
    /// `DT_INT64` (1024): signed 64-bit integer.
    case int64 = 1024
    /// `DT_UINT64` (1280): unsigned 64-bit integer.
    case uint64 = 1280

    /// The numpy-style name (`"uint8"`, `"float32"`, …), as nibabel prints it.
    public var name: String { String(describing: self) }

    /// Bytes per voxel on disk (the header's `bitpix` / 8).
    public var bytesPerVoxel: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32, .float32: return 4
        case .int64, .uint64, .float64: return 8
        }
    }

    /// Whether the type holds integers (and so label values).
    public var isInteger: Bool { self != .float32 && self != .float64 }

    /// Whether ``NIfTIWriter`` can write this type.
    public var isWritable: Bool { [.uint8, .int16, .uint16, .float32].contains(self) }

    /// The inclusive range of an integer type, as `Double` (exact for the
    /// writable types); `nil` for floating-point types.
    var integerRange: ClosedRange<Double>? {
        switch self {
        case .uint8: return 0...255
        case .int8: return -128...127
        case .int16: return -32768...32767
        case .uint16: return 0...65535
        case .int32: return -2_147_483_648...2_147_483_647
        case .uint32: return 0...4_294_967_295
        case .int64: return -9.223_372_036_854_775_808e18...9.223_372_036_854_775_807e18
        case .uint64: return 0...1.844_674_407_370_955_1615e19
        case .float32, .float64: return nil
        }
    }

    /// Why a header's datatype code cannot be read, or `nil` if it can.
    ///
    /// Known NIfTI-1 codes that medaug does not read are `.unsupported`,
    /// codes outside the standard are `.malformed` (a corrupt header).
    static func problem(withCode code: Int16) -> (isKnown: Bool, reason: String)? {
        if NIfTIDatatype(rawValue: code) != nil { return nil }
        let known: [Int16: String] = [
            1: "binary (1 bit)", 32: "complex64", 128: "rgb24", 1536: "float128",
            1792: "complex128", 2048: "complex256", 2304: "rgba32",
        ]
        if let name = known[code] {
            return (true, "datatype \(code) (\(name)); medaug reads real-valued integer and float types")
        }
        return (false, "datatype code \(code) is not a NIfTI-1 type")
    }
}
