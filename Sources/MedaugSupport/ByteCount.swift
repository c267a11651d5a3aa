/// A byte count as people read it in a message: "512 bytes", "3.5 KiB",
/// "12.0 MiB", "1.50 GiB". Never rounds a non-zero size to "0 MiB".
public func describeBytes(_ bytes: Int) -> String {
    let value = Double(bytes)
    switch bytes {
    case ..<1024: return "\(bytes) byte\(bytes == 1 ? "" : "s")"
    case ..<(1 << 20): return String(format1: value / 1024, unit: "KiB")
    case ..<(1 << 30): return String(format1: value / Double(1 << 20), unit: "MiB")
    default: return String(format1: value / Double(1 << 30), unit: "GiB", digits: 2)
    }
}

private extension String {
    /// `value` with `digits` decimals and `unit`, without Foundation.
    init(format1 value: Double, unit: String, digits: Int = 1) {
        let scale = digits == 2 ? 100.0 : 10.0
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale), fraction = scaled % Int(scale)
        let padded = digits == 2 && fraction < 10 ? "0\(fraction)" : "\(fraction)"
        self = "\(whole).\(padded) \(unit)"
    }
}
