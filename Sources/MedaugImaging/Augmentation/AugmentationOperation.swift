/// One augmentation operation: what it does, how often, and the range its
/// parameter is drawn from.
///
/// | type | parameter range (`range`) | other keys |
/// |---|---|---|
/// | `rotate` | angle in degrees, counter-clockwise about the centre | |
/// | `shift` | fraction of the side, drawn per axis | |
/// | `flip` | — | `axis`: `horizontal` (mirror columns) or `vertical` |
/// | `zoom` | scale factor (> 1 magnifies) | |
/// | `elastic` | displacement amplitude in mm (`alpha_mm`) | `sigma_mm`: smoothness (default 10) |
/// | `brightness` | added to every pixel | |
/// | `contrast` | factor about the image mean | |
/// | `gamma` | exponent on intensities mapped to [0, 1] | `intensity_range` (default [-1, 1]) |
/// | `noise` | Gaussian standard deviation | |
/// | `blur` | Gaussian sigma in mm | |
/// | `bias_field` | polynomial coefficient magnitude (order 3, as TorchIO) | `intensity_range` |
public struct AugmentationOperation: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case rotate, shift, flip, zoom, elastic, brightness, contrast, gamma, noise, blur
        case biasField = "bias_field"

        public var isGeometric: Bool {
            switch self {
            case .rotate, .shift, .flip, .zoom, .elastic: return true
            default: return false
            }
        }
    }

    public enum Axis: String, Codable, Sendable { case horizontal, vertical }

    public var kind: Kind
    public var probability: Double
    /// `[low, high]`; unused by `flip`.
    public var range: [Double]
    public var axis: Axis?
    /// Elastic smoothness in mm.
    public var sigmaMM: Double?
    /// Intensity range that gamma and the bias field map to [0, 1].
    public var intensityRange: [Double]?

    public init(kind: Kind, probability: Double, range: [Double] = [], axis: Axis? = nil,
                sigmaMM: Double? = nil, intensityRange: [Double]? = nil) {
        self.kind = kind
        self.probability = probability
        self.range = range
        self.axis = axis
        self.sigmaMM = sigmaMM
        self.intensityRange = intensityRange
    }

    /// The JSON key of the range for each kind (so files read naturally).
    static func rangeKey(_ kind: Kind) -> String {
        switch kind {
        case .rotate: return "degrees"
        case .shift: return "fraction"
        case .flip: return "unused"
        case .zoom: return "scale"
        case .elastic: return "alpha_mm"
        case .brightness: return "delta"
        case .contrast: return "factor"
        case .gamma: return "gamma"
        case .noise: return "std"
        case .blur: return "sigma_mm"
        case .biasField: return "coefficient"
        }
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        kind = try c.decode(Kind.self, forKey: Key("type"))
        probability = try c.decodeIfPresent(Double.self, forKey: Key("probability")) ?? 1
        let key = Key(AugmentationOperation.rangeKey(kind))
        if kind == .flip {
            range = []
            axis = try c.decode(Axis.self, forKey: Key("axis"))
        } else {
            range = try c.decode([Double].self, forKey: key)
            axis = nil
        }
        sigmaMM = kind == .elastic ? try c.decodeIfPresent(Double.self, forKey: Key("sigma_mm")) ?? 10 : nil
        intensityRange = kind == .gamma || kind == .biasField
            ? try c.decodeIfPresent([Double].self, forKey: Key("intensity_range")) ?? [-1, 1] : nil
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(kind, forKey: Key("type"))
        try c.encode(probability, forKey: Key("probability"))
        if kind == .flip {
            try c.encode(axis, forKey: Key("axis"))
        } else {
            try c.encode(range, forKey: Key(AugmentationOperation.rangeKey(kind)))
        }
        if let sigmaMM { try c.encode(sigmaMM, forKey: Key("sigma_mm")) }
        if let intensityRange { try c.encode(intensityRange, forKey: Key("intensity_range")) }
    }

    /// Throws `ImagingError.invalidArgument` for a bad probability or range.
    func validate() throws {
        func fail(_ message: String) -> ImagingError { .invalidArgument(message) }
        guard probability >= 0, probability <= 1 else { throw fail("probability \(probability) must be in [0, 1]") }
        if kind == .flip {
            guard axis != nil else { throw fail("flip needs an axis") }
            return
        }
        let name = AugmentationOperation.rangeKey(kind)
        guard range.count == 2, range.allSatisfy({ $0.isFinite }), range[0] <= range[1] else {
            throw fail("\(name) must be [low, high] with low <= high, found \(range)")
        }
        let (low, high) = (range[0], range[1])
        switch kind {
        case .rotate: guard abs(low) <= 360, abs(high) <= 360 else { throw fail("\(name) \(range) must be within ±360") }
        case .shift: guard abs(low) <= 1, abs(high) <= 1 else { throw fail("\(name) \(range) must be within ±1 (a fraction of the side)") }
        case .zoom: guard low >= 0.1, high <= 10 else { throw fail("\(name) \(range) must be within [0.1, 10]") }
        case .elastic:
            guard low >= 0, high <= 100 else { throw fail("\(name) \(range) must be within [0, 100] mm") }
            guard let sigmaMM, sigmaMM > 0, sigmaMM <= 1000 else { throw fail("sigma_mm must be in (0, 1000]") }
        case .contrast, .gamma: guard low > 0, high <= 10 else { throw fail("\(name) \(range) must be within (0, 10]") }
        case .noise, .blur: guard low >= 0, high <= 100 else { throw fail("\(name) \(range) must be within [0, 100]") }
        case .brightness: guard abs(low) <= 100, abs(high) <= 100 else { throw fail("\(name) \(range) must be within ±100") }
        case .biasField: guard abs(low) <= 2, abs(high) <= 2 else { throw fail("\(name) \(range) must be within ±2") }
        case .flip: break
        }
        if let intensityRange {
            guard intensityRange.count == 2, intensityRange[0] < intensityRange[1], intensityRange.allSatisfy({ $0.isFinite }) else {
                throw fail("intensity_range must be [low, high] with low < high")
            }
        }
    }
}
