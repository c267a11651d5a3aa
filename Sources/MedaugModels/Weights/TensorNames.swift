/// The tensor naming scheme of format version 1 (docs/weights-format.md):
/// every tensor a configuration needs, with its shape, in graph order.
public struct TensorSpec: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public init(_ name: String, _ shape: [Int]) {
        self.name = name
        self.shape = shape
    }
    public var elementCount: Int { shape.reduce(1, *) }
}

/// What a tensor is for, so initialisers and converters can treat weights,
/// biases and BatchNorm statistics differently without parsing names.
public enum TensorRole: Sendable {
    case convWeight, convBias, bnWeight, bnBias, bnMean, bnVariance

    /// The role implied by a name's last component.
    public static func of(_ name: String) -> TensorRole {
        let isNorm = name.split(separator: ".").dropLast().last.map { $0.hasPrefix("bn") } ?? false
        switch name.split(separator: ".").last ?? "" {
        case "running_mean": return .bnMean
        case "running_var": return .bnVariance
        case "weight": return isNorm ? .bnWeight : .convWeight
        default: return isNorm ? .bnBias : .convBias
        }
    }
}

extension ModelConfig {
    /// Every tensor this architecture needs, with its shape.
    public var tensorSpecs: [TensorSpec] {
        switch self {
        case .generator(let g): return g.tensorSpecs
        case .discriminator(let d): return d.tensorSpecs
        case .segmenter(let s): return s.tensorSpecs
        }
    }
}

/// BatchNorm's four per-channel tensors under `prefix`.
func batchNormSpecs(_ prefix: String, _ channels: Int) -> [TensorSpec] {
    ["weight", "bias", "running_mean", "running_var"].map { TensorSpec("\(prefix).\($0)", [channels]) }
}

/// A convolution's weight (`layout` is OIHW or IOHW as given) and optional bias.
func convSpecs(_ prefix: String, weight: [Int], bias: Int?) -> [TensorSpec] {
    var specs = [TensorSpec("\(prefix).weight", weight)]
    if let bias { specs.append(TensorSpec("\(prefix).bias", [bias])) }
    return specs
}

extension GeneratorConfig {
    /// Input channels of up block `j`: the bottleneck, or the previous up
    /// output concatenated with its skip.
    public func upInputChannels(_ j: Int) -> Int {
        j == 0 ? bottleneckFilters : upFilters[j - 1] + downFilters[blocks - j]
    }

    /// Whether down block `i` has BatchNorm.
    public func downHasBatchNorm(_ i: Int) -> Bool { i > 0 || batchnormFirstBlock }

    public var tensorSpecs: [TensorSpec] {
        let k = kernelSize
        let bias = common.convBias
        var specs: [TensorSpec] = []
        var inChannels = common.inputChannels
        for (i, f) in downFilters.enumerated() {
            specs += convSpecs("down.\(i).conv", weight: [f, inChannels, k, k], bias: bias ? f : nil)
            if downHasBatchNorm(i) { specs += batchNormSpecs("down.\(i).bn", f) }
            inChannels = f
        }
        specs += convSpecs("bottleneck.conv", weight: [bottleneckFilters, inChannels, k, k],
                           bias: bias ? bottleneckFilters : nil)
        if bottleneckBatchnorm { specs += batchNormSpecs("bottleneck.bn", bottleneckFilters) }
        for (j, f) in upFilters.enumerated() {
            specs += convSpecs("up.\(j).convt", weight: [upInputChannels(j), f, k, k], bias: bias ? f : nil)
            if batchnormUpBlocks { specs += batchNormSpecs("up.\(j).bn", f) }
        }
        let last = upFilters[blocks - 1] + downFilters[0]
        specs += convSpecs("out.convt", weight: [last, common.outputChannels, k, k], bias: common.outputChannels)
        return specs
    }
}

extension DiscriminatorConfig {
    public var tensorSpecs: [TensorSpec] {
        let k = kernelSize
        var specs: [TensorSpec] = []
        var inChannels = common.inputChannels
        for (i, f) in filters.enumerated() {
            specs += convSpecs("down.\(i).conv", weight: [f, inChannels, k, k], bias: common.convBias ? f : nil)
            if i > 0 || batchnormFirstBlock { specs += batchNormSpecs("down.\(i).bn", f) }
            inChannels = f
        }
        specs += convSpecs("out.conv", weight: [1, inChannels, k, k], bias: 1)
        return specs
    }
}

extension SegmenterConfig {
    /// The two conv + BatchNorm pairs of a level.
    func doubleConvSpecs(_ prefix: String, input: Int, width: Int) -> [TensorSpec] {
        let bias = common.convBias ? width : nil
        return convSpecs("\(prefix).conv1", weight: [width, input, 3, 3], bias: bias)
            + batchNormSpecs("\(prefix).bn1", width)
            + convSpecs("\(prefix).conv2", weight: [width, width, 3, 3], bias: bias)
            + batchNormSpecs("\(prefix).bn2", width)
    }

    public var tensorSpecs: [TensorSpec] {
        var specs: [TensorSpec] = []
        var inChannels = common.inputChannels
        for level in 0..<depth {
            specs += doubleConvSpecs("enc.\(level)", input: inChannels, width: width(level))
            inChannels = width(level)
        }
        specs += doubleConvSpecs("bottom", input: inChannels, width: width(depth))
        for level in stride(from: depth - 1, through: 0, by: -1) {
            specs += convSpecs("dec.\(level).up", weight: [width(level + 1), width(level), 2, 2], bias: width(level))
            specs += doubleConvSpecs("dec.\(level)", input: 2 * width(level), width: width(level))
        }
        specs += convSpecs("out.conv", weight: [common.outputChannels, width(0), 1, 1], bias: common.outputChannels)
        return specs
    }
}
