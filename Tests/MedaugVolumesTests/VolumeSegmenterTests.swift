import Foundation
import XCTest
import MedaugEngine
import MedaugImaging
import MedaugModels
@testable import MedaugVolumes

/// The volume segmenter's contract on a random segmenter (geometry and
/// consistency; voxel-exact results of a trained one are checked with
/// nibabel in Tests/python/test_segment_volume.py).
final class VolumeSegmenterTests: XCTestCase {
    static let labelValues = [0, 2, 5]

    func segmenter(preparation: SlicePreparation?) throws -> Model {
        var config = SegmenterConfig.standard(imageSize: 16, classes: ["bg", "a", "b"], labelValues: Self.labelValues,
                                              channelNames: ["T1"], depth: 2, baseFilters: 4)
        config.preparation = preparation
        let path = NSTemporaryDirectory() + "medaug-volumes-\(getpid())-\(UUID().uuidString).safetensors"
        defer { unlink(path) }
        try ModelFile.write(config: .segmenter(config), tensors: RandomInit.weights(for: .segmenter(config), seed: 5),
                            to: path)
        return try Model(path: path)
    }

    /// 12×10×5, stored P, L, S (rotated 5° about S), anisotropic.
    func volume() throws -> NIfTIVolume {
        let (c, s) = (cos(5.0 * .pi / 180), sin(5.0 * .pi / 180))
        let affine = try NIfTIVolume.Affine(rowMajor: [-s * 1.0, -c * 1.2, 0, 30,
                                                       -c * 1.0, s * 1.2, 0, -10,
                                                       0, 0, 2.5, 4,
                                                       0, 0, 0, 1])
        var values = [Float](repeating: 0, count: 12 * 10 * 5)
        for i in values.indices { values[i] = i % 12 < 2 ? 0 : Float((i * 37) % 101) + 50 }
        return try NIfTIVolume(dimensions: .init(x: 12, y: 10, z: 5), values: values, voxelSize: [1, 1.2, 2.5],
                               affine: affine)
    }

    func testLabelsAndProbabilitiesLieOnTheSourceGrid() throws {
        let source = try volume()
        let preparation = SlicePreparation(plane: "axial", spacingMM: nil, cropMargin: 0.1)
        let engine = try VolumeSegmenter(model: try segmenter(preparation: preparation), batch: 3)
        XCTAssertEqual(engine.notes, [])
        var calls: [(Int, Int)] = []
        let result = try engine.segment([source], probabilities: true) { calls.append(($0, $1)); return true }
        XCTAssertEqual(calls.map(\.0), [3, 5])   // 5 axial slices (S is stored z) in batches of 3
        XCTAssertEqual(result.labels.dimensions, source.dimensions)
        XCTAssertEqual(result.labels.affine, source.affine)
        XCTAssertEqual(result.labels.axisCodes, source.axisCodes)
        let probabilities = try XCTUnwrap(result.probabilities)
        XCTAssertEqual(probabilities.dimensions.t, 3)
        let voxels = source.dimensions.spatialCount
        for v in 0..<voxels {
            let p = (0..<3).map { probabilities.values[$0 * voxels + v] }
            XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-4)
            let best = p.indices.max { p[$0] < p[$1] || (p[$0] == p[$1] && $0 > $1) }!
            XCTAssertEqual(result.labels.values[v], Float(Self.labelValues[best]), "voxel \(v)")
        }
        // The same call again gives the same volume.
        XCTAssertEqual(try engine.segment([source]).labels.values, result.labels.values)
    }

    func testRefusalsAndCancellation() throws {
        let engine = try VolumeSegmenter(model: try segmenter(preparation: nil))
        XCTAssertEqual(engine.preparation, .assumed)
        XCTAssertEqual(engine.notes.count, 1)
        let source = try volume()
        XCTAssertThrowsError(try engine.segment([source, source])) { error in
            XCTAssertTrue("\(error)".contains("takes 1 channel"), "\(error)")
        }
        XCTAssertThrowsError(try engine.segment([source]) { _, _ in false }) { error in
            guard case VolumeSegmentationError.cancelled = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try VolumeSegmenter(model: try segmenter(preparation: nil), plane: "oblique"))
    }
}
