import Foundation
import XCTest
@testable import MedaugImaging
@testable import MedaugTrainer

final class TrainingPairsTests: XCTestCase {
    /// A dataset folder written by medaug's own writer: 3 train pairs of 4×4,
    /// label values 0 and 4, images ramping over the stored range.
    func makeFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "medaug-pairs-\(getpid())-\(UUID().uuidString)"
        let intensity = DatasetManifest.IntensityMapping(stored: "uint16", storedRange: [0, 65535])
        try DatasetWriter.write(to: folder, overwrite: false) { temporary in
            var manifest = DatasetManifest(classes: ["background", "lesion"], labelValues: [0, 4], channels: ["T1"],
                                           spacingMM: [1, 1], intensity: intensity)
            for i in 0..<3 {
                let item = DatasetManifest.Item(id: "p\(i)", split: i == 2 ? .val : .train, synthetic: i == 1, source: [:])
                let image = (0..<16).map { Float($0) / 7.5 - 1 }           // -1 ... 1
                let labels: [Int32] = (0..<16).map { $0 % 4 == i ? 4 : 0 }
                try DatasetWriter.writePair(image: image, channels: 1, labels: labels, side: 4, item: item,
                                            intensity: intensity, folder: temporary)
                manifest.items.append(item)
            }
            return manifest
        }
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        return folder
    }

    func testLoadsSplitsInNetworkForm() throws {
        let folder = try makeFolder()
        let train = try TrainingPairs.load(folder: folder, split: .train)
        XCTAssertEqual(train.ids, ["p0", "p1"])
        XCTAssertEqual(try TrainingPairs.load(folder: folder, split: .train, includeSynthetic: false).ids, ["p0"])
        XCTAssertEqual([train.channels, train.height, train.width, train.classes], [1, 4, 4, 2])
        // uint16 quantisation of [-1, 1]: within half a step.
        XCTAssertEqual(train.images[0], -1, accuracy: 1e-4)
        XCTAssertEqual(train.images[15], 1, accuracy: 1e-4)
        XCTAssertEqual(Array(train.labels[0..<4]), [1, 0, 0, 0], "label value 4 is class 1")
        let images = TrainTensor(shape: TensorShape(n: 1, c: 1, h: 1, w: 1))
        let labels = LabelMap(n: 1, h: 1, w: 1)
        try train.fill(images: images, labels: labels, indices: [1, 0])
        XCTAssertEqual(images.shape, TensorShape(n: 2, c: 1, h: 4, w: 4))
        XCTAssertEqual(labels.pointer[1], 1)
        let oneHot = TrainTensor(shape: TensorShape(n: 1, c: 1, h: 1, w: 1))
        try train.fillOneHot(oneHot, indices: [0])
        XCTAssertEqual(oneHot.shape, TensorShape(n: 1, c: 2, h: 4, w: 4))
        XCTAssertEqual(oneHot[0, 1, 0, 0], 1)
        XCTAssertEqual(oneHot[0, 0, 0, 0], 0)
        XCTAssertEqual(oneHot[0, 0, 0, 1], 1)
        XCTAssertThrowsError(try TrainingPairs.load(folder: folder, split: .test)) { error in
            XCTAssertTrue("\(error)".contains("no test items"), "\(error)")
        }
    }

    func testUnknownLabelsAndMissingFilesNameTheFile() throws {
        let folder = try makeFolder()
        // Overwrite one mask with a label the manifest does not list.
        let bad = try TIFFImage(width: 4, height: 4, channels: 1, pixels: .uint8([UInt8](repeating: 3, count: 16)))
        try TIFFWriter.write(image: bad, to: folder + "/masks/p0.tif")
        XCTAssertThrowsError(try TrainingPairs.load(folder: folder, split: .train)) { error in
            XCTAssertTrue("\(error)".contains("masks/p0.tif") && "\(error)".contains("label value 3"), "\(error)")
        }
        try FileManager.default.removeItem(atPath: folder + "/images/p1.tif")
        XCTAssertThrowsError(try TrainingPairs.load(folder: folder, split: .train)) { error in
            XCTAssertTrue("\(error)".contains("p0.tif") || "\(error)".contains("p1.tif"), "\(error)")
        }
        XCTAssertThrowsError(try TrainingPairs.load(folder: "/nonexistent", split: .train))
    }
}
