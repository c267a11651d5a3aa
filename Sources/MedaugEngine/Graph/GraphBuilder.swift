import MedaugKernels
import MedaugSupport
import MedaugModels

/// Records the unfused graph of a model file: one node per layer (conv,
/// BatchNorm, dropout, activation, concat, pool), exactly as the architecture
/// reads. Optimisation passes rewrite it afterwards.
public struct GraphBuilder {
    public private(set) var graph = Graph()
    let file: ModelFile
    let batchNormUse: BatchNormUse

    init(file: ModelFile, batchNormUse: BatchNormUse, input: ValueShape) {
        self.file = file
        self.batchNormUse = batchNormUse
        graph.input = graph.addValue(input)
    }

    /// The unfused graph for `file` at its configured image size, with
    /// BatchNorm evaluated as `batchNormUse` and dropout nodes present.
    public static func build(_ file: ModelFile, batchNormUse: BatchNormUse) -> Graph {
        let common = file.config.common
        let input = ValueShape(channels: common.inputChannels, height: common.imageSize, width: common.imageSize)
        var builder = GraphBuilder(file: file, batchNormUse: batchNormUse, input: input)
        switch file.config {
        case .generator(let config): builder.buildGenerator(config)
        case .discriminator(let config): builder.buildDiscriminator(config)
        case .segmenter(let config): builder.buildSegmenter(config)
        }
        return builder.graph
    }

    // MARK: - Layers

    mutating func conv(_ name: String, _ input: ValueID, outChannels: Int, geometry: ConvGeometry,
                       bias: Bool, transposed: Bool = false) -> ValueID {
        let inShape = graph.shapes[input]
        let side: (Int) -> Int = { transposed ? geometry.transposedOutput($0)! : geometry.convOutput($0)! }
        let output = graph.addValue(ValueShape(channels: outChannels, height: side(inShape.height), width: side(inShape.width)))
        let parameters = ConvParameters(
            weights: file.tensor("\(name).weight"), geometry: geometry,
            epilogue: EpilogueSpec(bias: bias ? file.tensor("\(name).bias") : nil))
        graph.nodes.append(Node(name: name, operation: transposed ? .convTranspose(parameters) : .conv(parameters),
                                inputs: [input], output: output))
        return output
    }

    mutating func batchNorm(_ name: String, _ input: ValueID) -> ValueID {
        let parameters = BatchNormParameters(
            scale: file.tensor("\(name).weight"), shift: file.tensor("\(name).bias"),
            mean: file.tensor("\(name).running_mean"), variance: file.tensor("\(name).running_var"),
            epsilon: Float(file.config.common.batchnormEpsilon))
        return pointwise(name, .batchNorm(parameters, batchNormUse), input)
    }

    mutating func activation(_ name: String, _ activation: Activation, _ input: ValueID) -> ValueID {
        activation == .identity ? input : pointwise(name, .activation(activation), input)
    }

    mutating func dropout(_ name: String, rate: Double, _ input: ValueID) -> ValueID {
        rate > 0 ? pointwise(name, .dropout(rate: Float(rate), stream: RandomInit.stableHash(name)), input) : input
    }

    mutating func pointwise(_ name: String, _ operation: Operation, _ input: ValueID) -> ValueID {
        let output = graph.addValue(graph.shapes[input])
        graph.nodes.append(Node(name: name, operation: operation, inputs: [input], output: output))
        return output
    }

    mutating func concat(_ name: String, _ inputs: [ValueID]) -> ValueID {
        let first = graph.shapes[inputs[0]]
        let channels = inputs.reduce(0) { $0 + graph.shapes[$1].channels }
        let output = graph.addValue(ValueShape(channels: channels, height: first.height, width: first.width))
        graph.nodes.append(Node(name: name, operation: .concat(inPlace: false), inputs: inputs, output: output))
        return output
    }

    mutating func maxPool(_ name: String, _ input: ValueID) -> ValueID {
        let shape = graph.shapes[input]
        let output = graph.addValue(ValueShape(channels: shape.channels, height: shape.height / 2, width: shape.width / 2))
        graph.nodes.append(Node(name: name, operation: .maxPool(kernel: 2, stride: 2), inputs: [input], output: output))
        return output
    }

    mutating func markBlock(_ name: String, _ value: ValueID) {
        graph.blockOutputs[name] = value
    }

    // MARK: - Networks

    mutating func buildGenerator(_ c: GeneratorConfig) {
        let g = ConvGeometry(kernel: c.kernelSize, stride: c.stride, padding: c.padding)
        let slope = Activation.leakyRelu(Float(c.leakyReluSlope))
        var x = graph.input
        var skips: [ValueID] = []
        for (i, filters) in c.downFilters.enumerated() {
            x = conv("down.\(i).conv", x, outChannels: filters, geometry: g, bias: c.common.convBias)
            if c.downHasBatchNorm(i) { x = batchNorm("down.\(i).bn", x) }
            x = activation("down.\(i).act", slope, x)
            markBlock("down.\(i)", x)
            skips.append(x)
        }
        x = conv("bottleneck.conv", x, outChannels: c.bottleneckFilters, geometry: g, bias: c.common.convBias)
        if c.bottleneckBatchnorm { x = batchNorm("bottleneck.bn", x) }
        x = activation("bottleneck.act", Activation(c.bottleneckActivation, slope: Float(c.leakyReluSlope)), x)
        markBlock("bottleneck", x)
        for (j, filters) in c.upFilters.enumerated() {
            x = conv("up.\(j).convt", x, outChannels: filters, geometry: g, bias: c.common.convBias, transposed: true)
            if c.batchnormUpBlocks { x = batchNorm("up.\(j).bn", x) }
            if c.upHasDropout(j) { x = dropout("up.\(j).dropout", rate: c.dropout, x) }
            x = activation("up.\(j).act", .relu, x)
            markBlock("up.\(j)", x)
            var skip = skips[c.blocks - 1 - j]
            if c.skipActivation != .identity {
                skip = activation("up.\(j).skip_act", Activation(c.skipActivation, slope: 0), skip)
            }
            x = concat("up.\(j).concat", [x, skip])
        }
        x = conv("out.convt", x, outChannels: c.common.outputChannels, geometry: g, bias: true, transposed: true)
        x = activation("out.act", Activation(c.outputActivation, slope: Float(c.leakyReluSlope)), x)
        markBlock("out", x)
        graph.output = x
    }

    mutating func buildDiscriminator(_ c: DiscriminatorConfig) {
        let g = ConvGeometry(kernel: c.kernelSize, stride: c.stride, padding: c.padding)
        var x = graph.input
        for (i, filters) in c.filters.enumerated() {
            x = conv("down.\(i).conv", x, outChannels: filters, geometry: g, bias: c.common.convBias)
            if i > 0 || c.batchnormFirstBlock { x = batchNorm("down.\(i).bn", x) }
            x = activation("down.\(i).act", .leakyRelu(Float(c.leakyReluSlope)), x)
            markBlock("down.\(i)", x)
        }
        let last = ConvGeometry(kernel: c.kernelSize, stride: 1, padding: c.padding)
        x = conv("out.conv", x, outChannels: 1, geometry: last, bias: true)
        x = activation("out.act", Activation(c.outputActivation, slope: 0), x)
        markBlock("out", x)
        graph.output = x
    }

    mutating func doubleConv(_ prefix: String, _ input: ValueID, width: Int, bias: Bool, hidden: Activation) -> ValueID {
        let g = ConvGeometry(kernel: 3, stride: 1, padding: 1)
        var x = input
        for step in 1...2 {
            x = conv("\(prefix).conv\(step)", x, outChannels: width, geometry: g, bias: bias)
            x = batchNorm("\(prefix).bn\(step)", x)
            x = activation("\(prefix).act\(step)", hidden, x)
            markBlock("\(prefix).conv\(step)", x)
        }
        return x
    }

    mutating func buildSegmenter(_ c: SegmenterConfig) {
        let hidden: Activation = c.leakyReluSlope > 0 ? .leakyRelu(Float(c.leakyReluSlope)) : .relu
        var x = graph.input
        var skips: [ValueID] = []
        for level in 0..<c.depth {
            x = doubleConv("enc.\(level)", x, width: c.width(level), bias: c.common.convBias, hidden: hidden)
            skips.append(x)
            x = maxPool("enc.\(level).pool", x)
        }
        x = doubleConv("bottom", x, width: c.width(c.depth), bias: c.common.convBias, hidden: hidden)
        let up = ConvGeometry(kernel: 2, stride: 2, padding: 0)
        for level in stride(from: c.depth - 1, through: 0, by: -1) {
            x = conv("dec.\(level).up", x, outChannels: c.width(level), geometry: up, bias: true, transposed: true)
            markBlock("dec.\(level).up", x)
            x = concat("dec.\(level).concat", [x, skips[level]])
            x = doubleConv("dec.\(level)", x, width: c.width(level), bias: c.common.convBias, hidden: hidden)
        }
        let pointwise = ConvGeometry(kernel: 1, stride: 1, padding: 0)
        x = conv("out.conv", x, outChannels: c.common.outputChannels, geometry: pointwise, bias: true)
        x = activation("out.act", Activation(c.outputActivation, slope: 0), x)
        markBlock("out", x)
        graph.output = x
    }
}

extension Activation {
    /// The kernel activation for a configuration name.
    init(_ name: ActivationName, slope: Float) {
        switch name {
        case .identity: self = .identity
        case .relu: self = .relu
        case .leaky_relu: self = .leakyRelu(slope)
        case .tanh: self = .tanh
        case .sigmoid: self = .sigmoid
        case .softmax: self = .softmax
        }
    }
}
