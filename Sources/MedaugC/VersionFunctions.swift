#if canImport(Glibc)
import Glibc
#endif
import MedaugSupport

/// The library's version, as `MEDAUG_VERSION`, `MEDAUG_VERSION_NUMBER` and
/// `MEDAUG_ABI_VERSION` in include/medaug.h (scripts/test-abi checks they agree).
enum Version {
    static let string = "0.3.0"
    static let number: Int32 = 3000
    static let abi: Int32 = 1

    static let cString = StaticCString.make(string)
    static let statusStrings: [Int32: UnsafePointer<CChar>] = Status.descriptions.mapValues(StaticCString.make)
    static let unknownStatus = StaticCString.make("unknown status code")
}

@_cdecl("medaug_version")
public func medaug_version() -> UnsafePointer<CChar> { Version.cString }

@_cdecl("medaug_version_number")
public func medaug_version_number() -> Int32 { Version.number }

@_cdecl("medaug_abi_version")
public func medaug_abi_version() -> Int32 { Version.abi }

/// Tier names as static C strings, for `medaug_cpu_tier`.
enum TierNames {
    static let cStrings: [CPUTier: UnsafePointer<CChar>] =
        Dictionary(uniqueKeysWithValues: CPUTier.allCases.map { ($0, StaticCString.make($0.rawValue)) })
}

@_cdecl("medaug_cpu_tier")
public func medaug_cpu_tier() -> UnsafePointer<CChar> { TierNames.cStrings[CPUTier.current]! }

@_cdecl("medaug_last_error")
public func medaug_last_error() -> UnsafePointer<CChar> { ErrorMessage.current }

@_cdecl("medaug_status_string")
public func medaug_status_string(_ status: Int32) -> UnsafePointer<CChar> {
    Version.statusStrings[status] ?? Version.unknownStatus
}

@_cdecl("medaug_string_free")
public func medaug_string_free(_ string: UnsafeMutablePointer<CChar>?) {
    free(string)
}
