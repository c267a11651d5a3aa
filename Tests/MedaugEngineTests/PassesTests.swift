import MedaugTestSupport
import XCTest
@testable import MedaugEngine
@testable import MedaugModels
import MedaugKernels
import MedaugSupport

/// Every pass checked the ncnn way: the optimised graph against the unfused
/// one, layer by layer, on models whose BatchNorm is far from identity.
final class PassesTests: XCTestCase {
    /// Every block output of the optimised graph against the unfused one,
    /// within the error bound of the least exact kernel the optimised graph
    /// holds (1e-5 without F(4×4, 3×3) layers).
    func compare(_ config: ModelConfig, normalization: NormalizationMode, batch: Int, threads: Int = 1,
                 file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try TestModels.model(config)
        let graph = model.graph(for: .init(normalization: normalization, dropout: false, optimize: true))
        let tolerance = graph.nodes.reduce(Float(1e-5)) { bound, node in
            switch node.operation {
            case .conv(let p), .convTranspose(let p): max(bound, p.winogradKernel?.testErrorBound ?? bound)
            default: bound
            }
        }
        let session = try model.makeSession(threads: threads)
        let input = TestModels.input(for: config, batch: batch, seed: 5)
        let fused = try session.run(input, options: RunOptions(normalization: normalization, dropout: false, keepBlockOutputs: true))
        let plain = try session.run(input, options: RunOptions(normalization: normalization, dropout: false,
                                                               keepBlockOutputs: true, optimize: false))
        XCTAssertEqual(Set(fused.blockOutputs.keys), Set(plain.blockOutputs.keys), file: file, line: line)
        for (name, expected) in plain.blockOutputs {
            let error = relativeError(fused.blockOutputs[name]!.values, expected.values)
            XCTAssertLessThan(error, tolerance, "\(config.kind) \(normalization) batch \(batch) layer \(name): rel err \(error)",
                              file: file, line: line)
        }
        XCTAssertEqual(fused.output.values, fused.blockOutputs["out"]!.values, file: file, line: line)
    }

    func testFusedGraphsMatchUnfused() throws {
        for config in [TestModels.generator, TestModels.discriminator, TestModels.segmenter] {
            for mode in NormalizationMode.allCases {
                try compare(config, normalization: mode, batch: 1)
                try compare(config, normalization: mode, batch: 3, threads: 2)
            }
        }
    }

    /// On every tier with the panels kernel, exactly the GEMM layers of at most
    /// `PackWeightPanels.maxPixels` pixels per image get panel-packed weights,
    /// and the optimised graph still matches the unfused one at batch 1 and 3.
    func testPanelLayersAreTheNarrowOnesAndMatchUnfused() throws {
        try forEachTier(running: .panels) { tier in
            let config = TestModels.generator
            let graph = try TestModels.model(config).graph(for: .init(normalization: .running, dropout: false,
                                                                      optimize: true))
            var packed: [String] = [], expected: [String] = []
            for node in graph.nodes {
                switch node.operation {
                case .conv(let p), .convTranspose(let p):
                    if let packing = p.layout.packing { packed.append("\(node.name) \(packing)") }
                    guard p.winogradKernel == nil else { continue }
                    let isConv = if case .conv = node.operation { true } else { false }
                    let pixels = graph.shapes[isConv ? node.output : node.inputs[0]].spatial
                    if tier.runs(.panels) && pixels <= PackWeightPanels.maxPixels {
                        expected.append("\(node.name) \(pixels >= 16 && tier.runs(.blocks) ? "blocks" : "panels")")
                    }
                default:
                    continue
                }
            }
            XCTAssertEqual(packed, expected, "\(tier)")
            if tier.runs(.panels) {
                // The 32×32 test generator has layers of 64, 16, 4 and 1 pixels.
                XCTAssertTrue(packed.contains { $0.hasSuffix("panels") }, "\(tier): no layer on panels")
                XCTAssertTrue(packed.contains { $0.hasSuffix("blocks") }, "\(tier): no layer on blocks")
            }
            let blocksBefore = MicroKernelFamily.blocks.runs(on: tier)
            try compare(config, normalization: .running, batch: 1)
            try compare(config, normalization: .instance, batch: 3, threads: 2)
            if tier.runs(.blocks) {
                XCTAssertGreaterThan(MicroKernelFamily.blocks.runs(on: tier), blocksBefore, "\(tier): blocks did not run")
            }
        }
    }

    /// The Winograd layers against the unfused graph's OIHW/IOHW kernels, in
    /// both modes (bias + activation at the kernel's store, instance norm and
    /// dropout-free tanh after it).
    func testWinogradLayersMatchUnfused() throws {
        try forEachTier(running: .winogradF43) { tier in
            guard tier.runs(.winograd) else { return }
            try winogradLayersMatchUnfused(tier)
        }
    }

    func winogradLayersMatchUnfused(_ tier: CPUTier) throws {
        func winogradKernels(_ config: ModelConfig) throws -> [(String, WinogradKernel)] {
            let graph = try TestModels.model(config).graph(for: .init(normalization: .running, dropout: false, optimize: true))
            return graph.nodes.compactMap { node in
                switch node.operation {
                case .conv(let p): return p.winogradKernel.map { (node.name, $0) }
                case .convTranspose(let p): return p.winogradKernel.map { (node.name, $0) }
                default: return nil
                }
            }
        }
        func winogradNodes(_ config: ModelConfig) throws -> [String] { try winogradKernels(config).map(\.0) }
        // Every 3×3 convolution: 66 wide, and 33 wide (odd) at the bottom;
        // on AVX-512 the one-input-channel first layer keeps F(2×2, 3×3)
        // (SelectWinograd.paysLargeTile).
        let segmenter = try winogradKernels(TestModels.wideSegmenter)
        XCTAssertEqual(segmenter.map(\.0),
                       ["enc.0.conv1", "enc.0.conv2", "bottom.conv1", "bottom.conv2", "dec.0.conv1", "dec.0.conv2"])
        XCTAssertEqual(segmenter.map(\.1), segmenter.map { tier == .avx512 && $0.0 == "enc.0.conv1" ? .f23 : .f43 })
        // Every 4×4 stride-2 layer at least 16 wide (not the 8-wide
        // bottleneck output and the up block reading it: SelectWinograd
        // .paysStrided), not the 2-channel output layer.
        XCTAssertEqual(try winogradNodes(TestModels.wideGenerator), tier.runs(.stridedWinograd)
                       ? ["down.0.conv", "down.1.conv", "down.2.conv", "up.1.convt", "up.2.convt"] : [])
        for config in [TestModels.wideSegmenter, TestModels.wideGenerator] {
            for mode in NormalizationMode.allCases {
                try compare(config, normalization: mode, batch: 1)
                try compare(config, normalization: mode, batch: 3, threads: 2)
            }
        }
    }

    /// The deep generator's bottleneck and first transposed convolution are
    /// cropped to their 2×2 live taps and still match the unfused graph.
    func testDeadTapsAreCroppedAndMatchUnfused() throws {
        let config = TestModels.deepGenerator
        let graph = try TestModels.model(config).graph(for: .init(normalization: .running, dropout: false,
                                                                  optimize: true))
        var cropped: [String] = []
        for node in graph.nodes {
            guard let (p, _) = node.operation.convolution else { continue }
            if p.geometry.kernel != 4 { cropped.append(node.name) }
            if p.geometry.kernel == 2 { XCTAssertEqual(p.geometry.padding, 0, node.name) }
        }
        XCTAssertEqual(cropped, ["bottleneck.conv", "up.0.convt"])
        // 6×6 kernels (padding 2): the same two layers keep taps 2 and 3
        // only; the layers next to them (4×4 ↔ 2×2) still use all six.
        guard case .generator(var wide) = config else { preconditionFailure() }
        wide.kernelSize = 6
        wide.padding = 2
        let wideGraph = try TestModels.model(.generator(wide)).graph(for: .init(normalization: .running,
                                                                                dropout: false, optimize: true))
        let wideCropped = wideGraph.nodes.compactMap { node -> String? in
            guard let (p, _) = node.operation.convolution, p.geometry.kernel != 6 else { return nil }
            return node.name
        }
        XCTAssertEqual(wideCropped, ["bottleneck.conv", "up.0.convt"])
        XCTAssertEqual(wideGraph.nodes.compactMap { $0.operation.convolution?.parameters.geometry }
            .filter { $0.kernel != 6 }, [ConvGeometry(kernel: 2, stride: 2, padding: 0), ConvGeometry(kernel: 2, stride: 2, padding: 0)])
        for model in [config, .generator(wide)] {
            for mode in NormalizationMode.allCases {
                try compare(model, normalization: mode, batch: 1)
                try compare(model, normalization: mode, batch: 3, threads: 2)
            }
        }
    }

    /// Which taps meet the input, for convolutions and transposed ones.
    func testCropKeepsTheLiveTaps() {
        let pix2pix = ConvGeometry(kernel: 4, stride: 2, padding: 1)
        let crop = CropDeadTaps.crop
        XCTAssertEqual(crop(pix2pix, false, 2, 1).map { [$0.first, $0.geometry.kernel, $0.geometry.padding] }, [1, 2, 0])
        XCTAssertEqual(crop(pix2pix, true, 1, 2).map { [$0.first, $0.geometry.kernel, $0.geometry.padding] }, [1, 2, 0])
        XCTAssertNil(crop(pix2pix, false, 4, 2))
        XCTAssertNil(crop(pix2pix, true, 2, 4))
        // 3×3 on one pixel: the centre tap alone, a 1×1 layer.
        let three = ConvGeometry(kernel: 3, stride: 1, padding: 1)
        XCTAssertEqual(crop(three, false, 1, 1).map { [$0.first, $0.geometry.kernel, $0.geometry.padding] }, [1, 1, 0])
        XCTAssertEqual(crop(three, true, 1, 1).map { [$0.first, $0.geometry.kernel, $0.geometry.padding] }, [1, 1, 0])
        XCTAssertNil(crop(three, false, 2, 2))
        // Stride 2 on two pixels: the taps 1 and 2 of the one output pixel.
        XCTAssertEqual(crop(ConvGeometry(kernel: 3, stride: 2, padding: 1), false, 2, 1)
            .map { [$0.first, $0.geometry.kernel, $0.geometry.padding] }, [1, 2, 0])
    }

    /// The 3×3 tile rule on segmenter-256's layers: F(4×4, 3×3) from width
    /// 32 on AVX-512 (not the one-channel first layer); from 16 on AVX2 and
    /// NEON, except the 512 → 512 layer at 16, left to F(2×2, 3×3) for
    /// memory.
    func testLargeTileRulePerTier() {
        let large = SelectWinograd.paysLargeTile
        for tier in [CPUTier.avx2, .neon] {
            XCTAssertTrue(large(1, 32, 256, tier))
            XCTAssertTrue(large(512, 256, 32, tier))
            XCTAssertTrue(large(256, 512, 16, tier))
            XCTAssertFalse(large(512, 512, 16, tier))
            XCTAssertFalse(large(64, 64, 8, tier))
        }
        XCTAssertFalse(large(1, 32, 256, .avx512))
        XCTAssertTrue(large(32, 32, 256, .avx512))
        XCTAssertTrue(large(512, 256, 32, .avx512))
        XCTAssertFalse(large(256, 512, 16, .avx512))
    }

    /// F(4×4, 2×2) for generator-256's transposed layers: up.6 (256 → 64
    /// channels) only, on every tier; up.5 (512 → 128) stays on F(2×2, 2×2)
    /// for memory (SelectWinograd.paysLargeTransposedTile).
    func testLargeTransposedTileRule() {
        let large = SelectWinograd.paysLargeTransposedTile
        XCTAssertTrue(large(256, 64))
        XCTAssertTrue(large(128, 32))
        XCTAssertFalse(large(512, 128))
        XCTAssertFalse(large(1024, 256))
    }

    func testPassesRemoveWhatTheyFuse() throws {
        let model = try TestModels.model(TestModels.generator)
        let running = model.graph(for: .init(normalization: .running, dropout: false, optimize: true))
        let instance = model.graph(for: .init(normalization: .instance, dropout: true, optimize: true))
        let unfused = model.graph(for: .init(normalization: .running, dropout: true, optimize: false))
        // 3 down + bottleneck + 3 up + out convolutions, 3 in-place concats.
        XCTAssertEqual(running.nodes.count, 11, running.listing)
        XCTAssertEqual(instance.nodes.count, 11, instance.listing)
        for node in running.nodes + instance.nodes {
            switch node.operation {
            case .batchNorm, .activation, .dropout, .concat(inPlace: false):
                XCTFail("unfused \(node.name) left: \n\(running.listing)")
            default: break
            }
        }
        // Unfused: down 3 conv + 2 bn + 3 act, bottleneck conv + act, up 3 × (convt,
        // bn, act, concat) + 2 dropout, out convt + tanh.
        XCTAssertEqual(unfused.nodes.filter { if case .dropout = $0.operation { return true }; return false }.count, 2)
        XCTAssertEqual(unfused.nodes.count, 26, unfused.listing)
    }

    func testFoldBatchNormArithmetic() throws {
        // One conv + BN, folded by hand: y = γ(Wx + b − μ)/√(σ² + ε) + β.
        let model = try TestModels.model(TestModels.segmenter)
        let file = model.file
        // Folded weights in the file's OIHW layout, not Winograd-transformed.
        SelectWinograd.enabled = false
        defer { SelectWinograd.enabled = true }
        let graph = model.graph(for: .init(normalization: .running, dropout: false, optimize: true))
        guard case .conv(let folded) = graph.nodes[0].operation else { return XCTFail("first node is not a conv") }
        let w = file.tensor("enc.0.conv1.weight"), gamma = file.tensor("enc.0.bn1.weight")
        let mean = file.tensor("enc.0.bn1.running_mean"), variance = file.tensor("enc.0.bn1.running_var")
        let beta = file.tensor("enc.0.bn1.bias")
        let perChannel = w.count / gamma.count
        for c in 0..<gamma.count {
            let b = gamma[c] / (variance[c] + 1e-5).squareRoot()
            XCTAssertEqual(folded.weights[c * perChannel + 3], w[c * perChannel + 3] * b, accuracy: 1e-6)
            XCTAssertEqual(folded.epilogue.bias![c], beta[c] - mean[c] * b, accuracy: 1e-6)
        }
    }
}
